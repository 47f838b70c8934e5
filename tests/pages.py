"""Every page of every role, found in the URLconf: a small world with each role and real
ids, and the pages each of them opens. The phone, accessibility and form-error tests
(tests/browser/test_every_page.py, tests/portal/test_form_errors.py) walk what this
finds, so a new page is checked as soon as its URL exists.

Every pattern outside the admin and the API is requested (``walk`` of the URL walk);
each id in a pattern is tried with the world's ids until one opens. A page is a 200
answer with a whole HTML document (not an htmx fragment, a download or a redirect)."""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser

from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import timezone

from dealers.services.claims import claim_submit
from leads.models import ImportJob
from leads.services import pipeline
from portal.messages import message
from portal.users.models import Role, User
from portal.users.services import notify
from tests.factories import InstalledProductFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import make_world, new_lead
from tests.test_url_walk import SKIP, kwarg_names, walk

ROLES = [
    "visitor",
    "dealer admin",
    "dealer user",
    "channel manager",
    "sales manager",
    "internal sales",
]
# Not walked: Django's admin (internal staff, a desktop tool of its own) and the API
# with its Swagger UI (JSON for integrations, and a third-party page).
NOT_WALKED = ("admin/", "api/")
# Pages the walk must find, by URL name; if discovery stops working, the tests say so
# instead of checking nothing.
MUST_FIND = {
    "visitor": {"account_login", "account_reset_password", "inbound"},
    "dealer admin": {
        "home",
        "leads:inbox",
        "leads:detail",
        "leads:submit",
        "dealers:claims",
        "dealers:claim",
        "dealers:team",
        "dealers:scorecard",
        "notifications",
        "preferences",
        "account_change_password",
    },
    "dealer user": {"leads:inbox", "leads:detail", "dealers:claims", "dealers:claim"},
    "channel manager": {
        "manage:pool",
        "manage:reassign",
        "manage:lead_reassign",
        "manage:lookup",
        "manage:account_detail",
        "manage:import_detail",
        "manage:dealer_detail",
        "manage:dealer_edit",
        "manage:scorecard_detail",
        "manage:allocation",
        "manage:allocation_dealer",
        "manage:routing_policy",
        "manage:claims",
        "manage:dashboard",
        "manage:territory_detail",
        "manage:territory_edit",
        "leads:detail",
    },
    "sales manager": {"leads:mine", "manage:dashboard", "manage:pool"},
    "internal sales": {"leads:mine", "leads:detail", "manage:lookup", "manage:my_ooo"},
}


@dataclass
class RoleWorld:
    users: dict[str, User | None]  # the visitor is None
    ids: list[int]
    # pages in a state worth their own look (an accepted lead with its pipeline forms,
    # a table of results, a preview), per role
    states: dict[str, list[str]]


def role_world() -> RoleWorld:
    """Two dealers (the first with an admin and a user), a channel manager, a sales
    manager and an internal sales rep; leads new, accepted, in the pool and with the
    rep; an approved claim, a claim waiting for review against another dealer's, a
    customer with installed base, a finished import and a notification for everyone."""
    world = make_world()
    pool = world.lead(postcode="9711 AB", company_name="Groninger Pool B.V.")  # no territory
    new = world.lead(company_name="Havenkraan Techniek B.V.")
    accepted = world.lead(company_name="Delta Bouwgroep B.V.")
    pipeline.lead_accept(
        lead=accepted,
        actor=world.user,
        next_step="Call the plant manager",
        next_step_on=timezone.localdate() + timedelta(days=3),
    )
    manager = StaffFactory(role=Role.CHANNEL_MANAGER, user__name="Carla Kanaal").user
    sales_manager = StaffFactory(role=Role.SALES_MANAGER, user__name="Sander Manager").user
    rep = StaffFactory(role=Role.INTERNAL_SALES, user__name="Ruud Vertegenwoordiger").user
    territory_with(name="NL direct", ranges=[(1000, 1099)], owners=[(rep, 1)])
    rep_lead = new_lead(postcode="1011 AB", company_name="Amsterdamse Kranen B.V.")
    held = claim_submit(
        dealer=world.other_dealer,
        submitted_by=world.outsider,
        data={"company_name": "Delta Bouwgroep B.V.", "country": "NL", "postcode": "3012 AA"},
    )
    pending = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={"company_name": "Delta Bouwgroep B.V.", "country": "NL", "postcode": "3012 AA"},
    )
    approved = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={"company_name": "Zuidas Verpakkingen B.V.", "country": "NL", "postcode": "3015 AA"},
    )
    customer = InstalledProductFactory(account__legal_name="Maas Machinebouw B.V.").account
    job = ImportJob.objects.create(
        name="leads.csv",
        file="imports/leads.csv",
        created_by=manager,
        status=ImportJob.Status.DONE,
        total_rows=3,
        processed_rows=3,
        created_leads=2,
        error_rows=1,
        errors=[{"line": 3, "errors": {"company_name": ["This field is required."]}}],
    )
    users = {
        "visitor": None,
        "dealer admin": world.admin,
        "dealer user": world.user,
        "channel manager": manager,
        "sales manager": sales_manager,
        "internal sales": rep,
    }
    notes = notify(
        recipients=[user for user in users.values() if user is not None],
        kind="info",
        subject=message("A lead is waiting for you"),
        lead=new,
    )
    ids = [
        new.pk,
        approved.pk,
        pending.pk,
        world.dealer.pk,
        rep_lead.pk,
        pool.pk,
        accepted.pk,
        held.pk,
        customer.pk,
        job.pk,
        rep.pk,
        *world.dealer.territory_ownerships.values_list("territory_id", flat=True),
        *(note.pk for note in notes),
    ]
    accepted_page = reverse("leads:detail", args=[accepted.pk])
    states = {
        "dealer admin": [accepted_page],
        "dealer user": [accepted_page],
        "channel manager": ["/manage/lookup/?q=Delta", "/manage/allocation/?preview=1"],
        "internal sales": ["/manage/lookup/?q=Havenkraan"],
    }
    return RoleWorld(users, list(dict.fromkeys(ids)), states)


def urls_for(name: str, route: str, ids: list[int]):
    """The pattern's URL, or one per id when it takes one (two ids: the first few)."""
    names = kwarg_names(route)
    values = [[]] if not names else [[value] * len(names) for value in ids]
    for combination in values:
        try:
            yield reverse(name, kwargs=dict(zip(names, combination, strict=True)))
        except NoReverseMatch:
            continue


def is_page(response) -> bool:
    return (
        response.status_code == 200
        and response["Content-Type"].startswith("text/html")
        and response.content.lstrip()[:15].lower() == b"<!doctype html>"
    )


def pages(client, world: RoleWorld, role: str) -> dict[str, str]:
    """{URL name: URL} of every page the client's user opens, plus the role's states."""
    ids = world.ids
    found = {}
    for name, _pattern, route in walk(get_resolver().url_patterns):
        if name is None or name.split(":")[-1] in SKIP or route.startswith(NOT_WALKED):
            continue
        for url in urls_for(name, route, ids):
            response = client.get(url)
            if is_page(response):
                found[name] = url
            if is_page(response) or response.status_code == 405:  # 405: no id helps
                break
    for url in world.states.get(role, []):
        found[url] = url
    missing = MUST_FIND[role] - found.keys()
    assert not missing, f"the walk found no {sorted(missing)} for the {role}: {found}"
    return found


# --- reading a page's forms and fields ------------------------------------------------


class Elements(HTMLParser):
    """The forms of a page (action, method, field names) and every element's id, class,
    aria-invalid, aria-describedby and text (for the ids), without a browser."""

    VOID = {"input", "br", "img", "hr", "meta", "link", "source", "col", "wbr", "area", "base"}

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self.elements: list[dict] = []
        self.text_of: dict[str, str] = {}
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        # a radio button or checkbox of a group is described by its fieldset
        groups = [e.get("aria-describedby", "") for e in self._open if e["tag"] == "fieldset"]
        element = {"tag": tag, **attrs, "text": "", "group": " ".join(groups)}
        self.elements.append(element)
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action", ""), "method": attrs.get("method", "get").lower()}
            )
            self.forms[-1]["fields"] = []
            self.forms[-1]["hidden"] = {}
        elif tag in ("input", "select", "textarea") and attrs.get("name") and self.forms:
            if attrs.get("type") == "hidden":
                self.forms[-1]["hidden"][attrs["name"]] = attrs.get("value", "")
            elif attrs.get("type") not in ("submit", "button", "file"):
                self.forms[-1]["fields"].append(attrs["name"])
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            element = self._open.pop()
            if element.get("id"):
                self.text_of[element["id"]] = element["text"].strip()
            if element["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data


def untied_errors(html: str) -> list[str]:
    """What is wrong with how the page ties its fields to their errors and help texts:
    a field marked invalid without ``aria-invalid`` or without ``aria-describedby``
    naming an error text; an error text no field names; an ``aria-describedby`` naming
    an id that is not on the page; an id used twice (a label or a description would
    name the wrong field)."""
    page = Elements(html)
    ids = Counter(element["id"] for element in page.elements if element.get("id"))
    problems = [f"id {key!r} is used {n} times" for key, n in ids.items() if n > 1]
    described = set()
    for element in page.elements:
        name = f"<{element['tag']} id={element.get('id', '?')!r}>"
        refs = element.get("aria-describedby", "").split()
        described.update(refs)
        for ref in refs:
            if ref not in page.text_of:
                problems.append(f"{name} aria-describedby names {ref!r}, which is not on the page")
        invalid = "is-invalid" in element.get("class", "").split()
        if invalid or element.get("aria-invalid") == "true":
            if element.get("aria-invalid") != "true":
                problems.append(f"{name} is marked invalid but has no aria-invalid")
            if not any(page.text_of.get(ref) for ref in refs + element["group"].split()):
                problems.append(f"{name} is invalid but aria-describedby names no error text")
    for element in page.elements:
        error_text = "invalid-feedback" in element.get("class", "").split()
        if error_text and element.get("id") not in described:
            problems.append(f"error text {element['text'].strip()!r} is tied to no field")
    return problems
