"""Every page and API list, with every query parameter it reads, takes any value without
a 5xx: arbitrary unicode (NUL, combining marks, right-to-left, digits of other scripts,
long strings), date-times with any offset (naive, aware, the years 1 and 9999),
integers and decimals of any size, NaN and Infinity, as a dealer and as staff.

Nothing here lists the pages or their parameters. The URLconf is walked (as the URL
walk does); each id in a pattern is tried with the ids of the small world below; a page
that opens for the user (200) is asked again with a recording ``request.GET``, which
notes every parameter the view, its form, its filterset, its table or DRF's paginator
reads, until no new one turns up. The dealer API adds the query parameters of its
OpenAPI operations, with their enums; the admin's change lists add their search, filter
and date parameters. So a new page, filter or search parameter is fuzzed as soon as it
exists. Values the page itself offers (its <select> options, the query strings of its
links, the schema's enums) are mixed in, so odd values also meet valid neighbours.

Every request runs inside a savepoint that is rolled back, so examples do not change
the world for the next one, and a database error on PostgreSQL (where the range and
NUL errors show) does not abort the test's transaction."""

import base64
import itertools
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib import admin
from django.db import transaction
from django.http import QueryDict
from django.urls import get_resolver, resolve, reverse
from django.utils import timezone as dj_timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.pagination import CursorPagination

from dealers.services.claims import claim_submit
from leads.filters import ApiLeadFilter, LeadFilter
from leads.services import pipeline
from portal.messages import message
from portal.users.models import Role
from portal.users.services import notify
from tests.factories import StaffFactory, territory_with
from tests.leads.pipeline_world import make_world, new_lead
from tests.test_url_walk import SKIP, kwarg_names, walk

pytestmark = [
    pytest.mark.django_db,
    # tables2 warns about a '.' in an odd ?sort= value before it ignores it
    pytest.mark.filterwarnings("ignore:Use '__' to separate path components:DeprecationWarning"),
]

# A working Thursday morning: the pages take the same paths whatever day the suite runs.
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
EXAMPLES = 10  # random ones per page and user, after the edges; the module takes about
ADMIN_EXAMPLES = 4  # a minute on SQLite

# --- values -------------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), max_size=30)  # any code point but surrogates
ODD = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "²",
        "#²",
        "¹²³",
        "٣",
        "#١٢",
        "๑๒",
        "Ⅻ",
        "\u0301",
        "e\u0301",
        "\u202ex\u202c",
        "שלום",
        "\ufeff",
        "\u200b",
        "%",
        "_",
        "\\",
        "'",
        '"',
        "<b>",
        "NaN",
        "-nan",
        "Infinity",
        "-inf",
        "1e400",
        "-0",
        "0x1A",
        "9" * 30,
        "-" + "9" * 30,
        "00000000000000000001",
    ]
)
LONG = st.builds(lambda text, times: (text or "x") * times, TEXT, st.integers(20, 400))
OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.one_of(st.none(), st.just(UTC), OFFSETS),
)
MOMENT_TEXT = st.one_of(
    st.builds(lambda m, sep: m.isoformat(sep=sep), MOMENTS, st.sampled_from(["T", " "])),
    MOMENTS.map(lambda m: m.replace(tzinfo=None).isoformat() + "Z"),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%d-%m-%Y")),
)
NUMBERS = st.one_of(
    st.integers().map(str),
    st.integers(-(10**40), 10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
)
ANY_VALUE = st.one_of(TEXT, ODD, LONG, MOMENT_TEXT, NUMBERS)
# Tried in every parameter of every page, one parameter at a time, before the random
# examples: what broke a page before, and the range limits of both databases.
EDGES = [
    "\x00",
    "Bakker\x00",
    "²",
    "#²",
    "¹²³",
    "#١٢",
    "9" * 30,
    "-1",
    "NaN",
    "1e400",
    "x" * 3000,
    "2026-01-01T00:00:00+16:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59-01:00",
]
# The admin's change lists have many filter parameters of few kinds (choices, booleans,
# a date hierarchy's year, month and day): fewer edges each, so the module stays fast.
ADMIN_EDGES = ["\x00", "²", "9" * 30, "1", "9999", "2026-01-01T00:00:00+16:00"]


def cursor_of(**tokens) -> str:
    return base64.b64encode(urlencode(tokens).encode()).decode()


CURSOR_EDGES = [
    cursor_of(p="yesterday"),
    cursor_of(p="2026-01-01 00:00:00+16:00"),
    cursor_of(p="0001-01-01 00:00:00+01:00"),
    cursor_of(p="\x00"),
    cursor_of(o="9" * 30),
]


def cursors():
    """DRF cursors as its paginator writes them (base64 of o, r and p), holding any
    position: a client can send back whatever it likes."""
    tokens = st.fixed_dictionaries(
        {}, optional={"o": NUMBERS, "r": st.sampled_from(["0", "1", "x"]), "p": ANY_VALUE}
    )
    return st.one_of(tokens.map(lambda t: cursor_of(**t)), TEXT)


def values_for(known: set[str], special=None):
    """Values for one parameter: one the page offers, or anything at all; sometimes the
    parameter twice."""
    one = st.one_of(
        *([st.sampled_from(sorted(known))] if known else []),
        *([special] if special is not None else []),
        ANY_VALUE,
    )
    return st.lists(one, min_size=1, max_size=2)


# --- the world ----------------------------------------------------------------------------


def build_world():
    """Two dealers, their leads in several states, a claim, notifications, a channel
    manager and an internal rep with leads of their own."""
    world = make_world()
    manager = StaffFactory(role=Role.CHANNEL_MANAGER, user__name="Carla Kanaal").user
    rep = StaffFactory(role=Role.INTERNAL_SALES, user__name="Ruud Vertegenwoordiger").user
    territory_with(name="NL direct", ranges=[(1000, 1099)], owners=[(rep, 1)])
    leads = [world.lead(), world.lead(interest="content"), world.lead(postcode="3111 AA")]
    pipeline.lead_accept(
        lead=leads[1], actor=world.user, next_step="Call", next_step_on=dj_timezone.localdate()
    )
    rep_lead = new_lead(postcode="1011 AB")
    claim = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={"company_name": "Geclaimd B.V.", "country": "NL", "postcode": "3012 AA"},
    )
    notes = notify(recipients=[world.admin, manager, rep], kind="info", subject=message("Hallo"))
    ids = sorted(
        {
            world.dealer.pk,
            leads[0].pk,
            rep_lead.pk,
            claim.pk,
            claim.account_id,
            rep.pk,
            *(note.pk for note in notes),
            *world.dealer.territory_ownerships.values_list("territory_id", flat=True),
        }
    )
    users = {"dealer admin": world.admin, "channel manager": manager, "internal rep": rep}
    return users, ids


# --- finding the pages and what they read -------------------------------------------------

READ: set[str] = set()
PROBE = "_probe"


class RecordingQueryDict(QueryDict):
    """``request.GET`` that notes the name of every parameter looked at."""

    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        READ.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        READ.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)

    def pop(self, key, *args):
        READ.add(key)
        return super().pop(key, *args)

    def setdefault(self, key, default=None):
        READ.add(key)
        return super().setdefault(key, default)


class OfferedValues(HTMLParser):
    """What a page offers for its parameters: <select> options, radio and checkbox
    values, the query strings of its links; and the targets of its htmx requests."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, set[str]] = {}
        self.htmx_targets: set[str] = set()
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("hx-target", "").startswith("#"):
            self.htmx_targets.add(attrs["hx-target"][1:])
        if tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and attrs.get("value") is not None:
            self.values.setdefault(self._select, set()).add(attrs["value"])
        elif tag == "input" and attrs.get("type") in ("radio", "checkbox") and attrs.get("name"):
            self.values.setdefault(attrs["name"], set()).add(attrs.get("value") or "on")
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            for name, value in parse_qsl(urlsplit(attrs["href"]).query, keep_blank_values=True):
                self.values.setdefault(name, set()).add(value)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


class Page:
    """A URL, the query parameters it reads, the values it offers for them, the targets
    its htmx requests name (they get a partial page), and which parameter (if any)
    carries DRF's cursor."""

    def __init__(self, url, params, offered, *, htmx_targets=(), cursor=None, edges=EDGES):
        self.url, self.params, self.offered = url, params, offered
        self.htmx_targets, self.cursor, self.edges = sorted(htmx_targets), cursor, edges

    def queries(self):
        optional = {
            name: values_for(
                self.offered.get(name, set()), cursors() if name == self.cursor else None
            )
            for name in sorted(self.params)
        }
        return st.fixed_dictionaries({}, optional=optional)

    def headers(self):
        """No htmx, or an htmx request for one of the page's targets."""
        htmx = [{"HX-Request": "true", "HX-Target": target} for target in self.htmx_targets]
        return st.sampled_from([{}, *htmx])

    def edge_queries(self):
        for name in sorted(self.params):
            for value in self.edges + (CURSOR_EDGES if name == self.cursor else []):
                yield {name: value}


def get(client, url, params=None, headers=None):
    sid = transaction.savepoint()
    try:
        return client.get(url, params or {}, headers=headers)
    finally:
        transaction.savepoint_rollback(sid)


OUR_APPS = {"portal", "leads", "dealers", "territories"}


def is_ours(pattern) -> bool:
    """A view of the portal's own apps (not allauth's sign-in pages or the schema's)."""
    view = getattr(pattern.callback, "cls", pattern.callback)
    return view.__module__.split(".")[0] in OUR_APPS


def candidate_urls(ids):
    """(route, URL) for every pattern of the portal's own views outside the admin, each
    id in a pattern filled with the world's ids (the first few where it has several)."""
    for name, pattern, route in walk(get_resolver().url_patterns):
        if name is None or name.split(":")[-1] in SKIP or route.startswith("admin/"):
            continue
        if not is_ours(pattern):
            continue
        names = kwarg_names(route)
        values = ids if len(names) < 2 else ids[:3]
        for combination in itertools.product(values, repeat=len(names)):
            yield route, reverse(name, kwargs=dict(zip(names, combination, strict=True)))


def api_parameters() -> dict[str, tuple[set[str], dict[str, set[str]]]]:
    """The query parameters of every GET operation of the OpenAPI schema, with enums."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = {}
    for path, operations in schema["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        params, enums = set(), {}
        for parameter in operations["get"].get("parameters", []):
            if parameter["in"] == "query":
                params.add(parameter["name"])
                enum = parameter.get("schema", {}).get("enum") or []
                enums[parameter["name"]] = {str(value) for value in enum if value is not None}
        found[path] = (params, enums)
    return found


def cursor_param(url) -> str | None:
    """The cursor parameter of a DRF list with cursor pages."""
    view = getattr(resolve(urlsplit(url).path).func, "cls", None)
    pagination = getattr(view, "pagination_class", None)
    if pagination and issubclass(pagination, CursorPagination):
        return pagination.cursor_query_param
    return None


def discover(client, monkeypatch, ids) -> list[Page]:
    """Every page that opens for the signed-in user and reads query parameters."""
    monkeypatch.setattr("django.core.handlers.wsgi.QueryDict", RecordingQueryDict)
    schema = api_parameters()
    pages, opened = [], set()
    for route, url in candidate_urls(ids):
        if route in opened:
            continue  # one URL per pattern: the first that opens
        READ.clear()
        response = get(client, url)
        if response.status_code != 200:
            continue
        opened.add(route)
        # A parameter no view knows makes forms bound to ``request.GET or None`` read
        # their fields; each parameter found is then set, for what it unlocks.
        params = {PROBE: "1"}
        READ.clear()
        get(client, url, params)
        while new := {name for name in READ - params.keys() if not hasattr(QueryDict, name)}:
            params.update(dict.fromkeys(new, "1"))
            READ.clear()
            get(client, url, params)
        del params[PROBE]
        parser = OfferedValues()
        if response["Content-Type"].startswith("text/html"):
            parser.feed(response.content.decode())
        offered = parser.values
        api_params, enums = schema.get(url, (set(), {}))
        for name, values in enums.items():
            offered.setdefault(name, set()).update(values)
        if params or api_params:
            page = Page(
                url,
                set(params) | api_params,
                offered,
                htmx_targets=parser.htmx_targets,
                cursor=cursor_param(url),
            )
            pages.append(page)
    monkeypatch.undo()
    return pages


def admin_change_lists(client) -> list[Page]:
    """The admin's change lists the user may open, with their search, ordering, page,
    filter and date-hierarchy parameters (from the change list itself)."""
    pages = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = get(client, url)
        if response.status_code != 200 or response.context is None:
            continue
        change_list = response.context["cl"]
        params = {"o", "p"}  # ordering and page; then search, filters and dates
        offered: dict[str, set[str]] = {}
        if change_list.search_fields:
            params.add("q")
        if change_list.date_hierarchy:
            field = change_list.date_hierarchy
            params |= {f"{field}__year", f"{field}__month", f"{field}__day"}
        for spec in change_list.filter_specs:
            params |= set(spec.expected_parameters())
            for choice in spec.choices(change_list):
                query = choice.get("query_string", "").lstrip("?")
                for name, value in parse_qsl(query, keep_blank_values=True):
                    offered.setdefault(name, set()).add(value)
        pages.append(Page(url, params, offered, edges=ADMIN_EDGES))
    return pages


def says_why(response) -> bool:
    """A refusal names what is wrong: an API's JSON error with a message, or a page
    whose text says more than the bare "Bad Request (400)"."""
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        texts = [v for v in json.dumps(body).split('"') if len(v.strip()) > 8]
        return bool(body) and bool(texts)
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    words = re.sub(r"\s+", " ", text).strip()
    return len(words) > len("Bad Request (400)") + 10


def fuzz(client, page: Page, examples: int) -> None:
    """The page's edge queries, then ``examples`` random ones: none is a 5xx, and a 400
    says why."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(url=st.just(page.url), query=page.queries(), headers=page.headers())
    def answers_without_a_server_error(url, query, headers):
        try:
            response = get(client, url, query, headers)
        except Exception as error:  # the test client re-raises what the view raised
            raise AssertionError(f"GET {url} {query!r} {headers} raised {error!r}") from error
        assert response.status_code < 500, f"GET {url} {query!r}: {response.status_code}"
        if response.status_code == 400:
            assert says_why(response), f"GET {url} {query!r}: a 400 that does not say why"

    for query in page.edge_queries():
        answers_without_a_server_error = example(url=page.url, query=query, headers={})(
            answers_without_a_server_error
        )
    answers_without_a_server_error()


# --- the tests ------------------------------------------------------------------------------

USERS = ["dealer admin", "channel manager", "internal rep"]
# Pages the walk must find for each user, with the parameters it must see them read;
# if discovery stops working the test fails here instead of fuzzing nothing.
MUST_FIND = {
    "dealer admin": {
        "/leads/": set(LeadFilter.base_filters) | {"sort", "page", "per_page", "_export"},
        "/api/v1/leads/": set(ApiLeadFilter.base_filters) | {"cursor", "page_size"},
        "/api/v1/claims/": {"status", "limit", "offset"},
        "/dealer/claims/": {"show", "page"},
        "/me/notifications/": {"unread", "page"},
    },
    "channel manager": {
        "/manage/pool/": {"page"},
        "/manage/reassign/": {"owner", "q", "page"},
        "/manage/lookup/": {"q", "country"},
        "/manage/scorecards/": {"period", "country", "sector", "sort", "_export"},
        "/manage/allocation/": {"preview", "leads"},
        "/manage/claims/": {"show"},
        "/manage/dealers/": {"status"},
        "/manage/territories/": {"q", "country"},
        "/manage/reports/rejections/": {"months", "source", "format"},
        "/manage/dashboard/": {"period", "country", "rule"},
    },
    "internal rep": {
        "/leads/mine/": set(LeadFilter.base_filters),
        "/manage/lookup/": {"q", "country"},
    },
}


# ... and the partial pages their htmx requests get.
MUST_FIND_HTMX = {
    "dealer admin": {"/leads/": "lead-results"},
    "channel manager": {"/manage/lookup/": "lookup-results"},
    "internal rep": {"/leads/mine/": "lead-results", "/manage/lookup/": "lookup-results"},
}


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("who", USERS)
def test_no_query_parameter_of_any_page_answers_a_server_error(client, monkeypatch, who):
    users, ids = build_world()
    client.force_login(users[who])
    pages = discover(client, monkeypatch, ids)
    found = {page.url: page for page in pages}
    for url, params in MUST_FIND[who].items():
        assert url in found, f"{url} not found for the {who}: {sorted(found)}"
        assert params <= found[url].params, f"{url} reads {sorted(found[url].params)}"
    for url, target in MUST_FIND_HTMX[who].items():
        assert target in found[url].htmx_targets, f"{url}: {found[url].htmx_targets}"
    for page in pages:
        fuzz(client, page, EXAMPLES)


def test_no_parameter_of_an_admin_change_list_answers_a_server_error(client):
    users, _ids = build_world()
    client.force_login(users["channel manager"])
    pages = admin_change_lists(client)
    assert any(page.url == "/admin/leads/lead/" and "q" in page.params for page in pages), [
        page.url for page in pages
    ]
    for page in pages:
        fuzz(client, page, ADMIN_EXAMPLES)
