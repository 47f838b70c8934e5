"""Company lookup: what the search box understands, the verdict per company, a fixed
number of queries, and who may use the page."""

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealers.services.claims import claim_submit
from leads.services.lookup import Verdict, company_lookup, parse_query, starts_with
from portal.users.models import Role
from tests.factories import (
    AccountFactory,
    DealerFactory,
    DealerMemberFactory,
    InstalledProductFactory,
    StaffFactory,
)
from tests.leads.pipeline_world import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Rijnmond Techniek owns 3000-3099 and holds a claim on Bakker Logistiek; Eva is
    the account manager of the customer Jansen Metaal and its subsidiary."""
    world = make_world()
    eva = StaffFactory(role=Role.INTERNAL_SALES, user__name="Eva Visser").user
    parent = AccountFactory(legal_name="Jansen Metaal Holding B.V.", account_manager=eva)
    InstalledProductFactory(account=parent, product="Laser cutter LC-3015")
    AccountFactory(
        legal_name="Jansen Metaal Rotterdam B.V.",
        parent=parent,
        website_domain="jansen-metaal.example",
        vat_number="NL004495445B01",
    )
    claim = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={
            "company_name": "Bakker Logistiek B.V.",
            "country": "NL",
            "postcode": "3011 AB",
            "website": "https://www.bakker-logistiek.example",
        },
    )
    assert claim.status == "approved"
    lead = world.lead(
        company_name="De Groot Verpakkingen B.V.",
        postcode="3112 AB",
        contact_email="piet@degroot.example",
    )
    return world, eva, claim, lead


def hits_by_name(result):
    return {hit.name: hit for hit in result.hits}


@pytest.mark.parametrize(
    ("query", "country", "mode", "term"),
    [
        ("Bakker Logistiek BV", "", "name", "bakker logistiek"),
        ("jan@jansen-metaal.example", "", "domain", "jansen-metaal.example"),
        ("www.jansen-metaal.example/contact", "", "domain", "jansen-metaal.example"),
        ("NL 0044.95.445.B01", "", "vat", "NL004495445B01"),
        ("3011 AB", "NL", "postcode", "NL 3011 AB"),
        ("01067", "", "postcode", "DE 01067"),
    ],
)
def test_the_search_box_understands_what_was_typed(query, country, mode, term):
    search = parse_query(query, country=country)
    assert (search.mode, search.term) == (mode, term)


@pytest.mark.parametrize(
    ("prefix", "inside", "outside"),
    [
        (
            "van den",
            ["van den", "van den berg", "van den bosch 2"],
            ["van de", "van deo", "van dem"],
        ),
        ("ab z", ["ab z", "ab zz", "ab zzz 9"], ["ab y", "ab", "aca"]),
        ("zz", ["zz", "zzz top"], ["zy"]),
        ("firma 19", ["firma 19", "firma 199", "firma 19 b"], ["firma 2", "firma 1a"]),
        ("müller", ["müller", "müller gmbh"], ["mull"]),
    ],
)
def test_starts_with_finds_exactly_the_names_with_the_prefix(prefix, inside, outside):
    from leads.models import Lead

    for name in inside + outside:
        Lead.objects.create(company_name=name, country="NL", source="api", owner_queue_id="pool")
    Lead.objects.filter(company_name__in=inside + outside).update(
        company_normalized=models.F("company_name")
    )
    found = set(
        Lead.objects.filter(starts_with("company_normalized", prefix)).values_list(
            "company_normalized", flat=True
        )
    )
    assert found == set(inside)


def test_a_free_mail_address_says_nothing_about_the_company():
    assert parse_query("jan@gmail.com").problem == "free_mail"


def test_a_claimed_company_names_the_dealer_and_the_end_date(world):
    _world, _eva, claim, _lead = world
    result = company_lookup("bakker log")
    (hit,) = result.hits
    assert hit.verdict == Verdict.CLAIMED
    assert [(c.dealer.name, c.expires_at) for c in hit.claims] == [
        ("Rijnmond Techniek", claim.expires_at)
    ]
    assert company_lookup("bakker-logistiek.example").hits[0].verdict == Verdict.CLAIMED


def test_a_subsidiary_of_a_customer_is_a_customer_with_the_account_manager(world):
    _world, eva, _claim, _lead = world
    for query in ("NL004495445B01", "info@jansen-metaal.example", "Jansen Metaal Rotterdam"):
        hit = hits_by_name(company_lookup(query))["Jansen Metaal Rotterdam B.V."]
        assert hit.verdict == Verdict.CUSTOMER, query
        assert hit.account_manager == eva
        assert [p.product for p in hit.installed] == ["Laser cutter LC-3015"]


def test_an_open_lead_shows_its_owner(world):
    the_world, _eva, _claim, lead = world
    for query in ("de groot verp", "degroot.example", "3112"):
        hit = hits_by_name(company_lookup(query, country="NL"))["De Groot Verpakkingen B.V."]
        assert hit.verdict == Verdict.OPEN_LEAD, query
        assert [(lead.pk, lead.owner) for lead in hit.open_leads] == [
            (lead.pk, the_world.other_dealer)
        ]


def test_an_unknown_company_finds_nothing(world):
    result = company_lookup("Zwaluw Zeilmakerij")
    assert result.hits == [] and result.mode == "name" and not result.problem


def test_a_known_account_without_anything_is_free_to_call(world):
    AccountFactory(legal_name="Vrij Bedrijf B.V.")
    (hit,) = company_lookup("vrij bedrijf").hits
    assert hit.verdict == Verdict.FREE


def test_exact_name_matches_come_first(world):
    AccountFactory(legal_name="Bakker Logistiek Zuid B.V.")
    names = [hit.name for hit in company_lookup("Bakker Logistiek").hits]
    assert names[0] == "Bakker Logistiek B.V."
    assert "Bakker Logistiek Zuid B.V." in names


def test_the_number_of_queries_does_not_grow_with_the_matches(world):
    the_world = world[0]

    def queries():
        with CaptureQueriesContext(connection) as captured:
            result = company_lookup("jansen")
        return len(captured), result

    few, _result = queries()
    parent = AccountFactory(legal_name="Jansen Staal Groep B.V.")
    InstalledProductFactory(account=parent)
    for n in range(6):
        account = AccountFactory(legal_name=f"Jansen Staal {n} B.V.", parent=parent)
        claim_submit(
            dealer=DealerFactory(),
            submitted_by=None,
            data={"company_name": account.legal_name, "country": "NL", "postcode": "3011"},
        )
        the_world.lead(company_name=f"Jansen Staal {n} B.V.", postcode="3012 AB")
    many, result = queries()
    assert len(result.hits) > 6
    assert many == few <= 7


@pytest.mark.postgres
def test_name_prefix_and_postcode_searches_can_use_the_open_lead_indexes(world):
    from leads.models import Lead

    prefix = Lead.objects.filter(
        starts_with("company_normalized", "de groot"), status__in=Lead.OPEN_STATUSES
    ).order_by("company_normalized")
    postcode = Lead.objects.filter(
        country="NL", postcode_number=3112, status__in=Lead.OPEN_STATUSES
    )
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        assert "lead_open_company" in prefix.explain()
        assert "lead_open_postcode" in postcode.explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = on")


# --- the page --------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.INTERNAL_SALES, Role.SENIOR_REP, Role.SALES_MANAGER, Role.CHANNEL_MANAGER]
)
def test_every_staff_role_may_look_up(client, world, role):
    client.force_login(StaffFactory(role=role).user)
    response = client.get(reverse("manage:lookup"), {"q": "Bakker"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Claimed: do not call" in page and "Rijnmond Techniek" in page


def test_a_dealer_gets_403_and_anonymous_goes_to_login(client, world):
    url = reverse("manage:lookup")
    response = client.get(url, {"q": "Bakker"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(DealerMemberFactory(role=Role.DEALER_ADMIN).user)
    response = client.get(url, {"q": "Bakker"})
    assert response.status_code == 403
    assert b"Rijnmond" not in response.content


def test_the_page_answers_htmx_with_the_results_only(client, world):
    client.force_login(StaffFactory(role=Role.INTERNAL_SALES).user)
    url = reverse("manage:lookup")
    live = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "lookup-results"}
    response = client.get(url, {"q": "jansen"}, **live)
    assert [t.name for t in response.templates][0] == "manage/_lookup_results.html"
    assert b"<html" not in response.content and b"Customer" in response.content
    restore = client.get(url, {"q": "jansen"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **live)
    assert b"<html" in restore.content
    assert client.post(reverse("manage:lookup")).status_code == 405


def test_the_account_page_shows_the_facts(client, world):
    _world, eva, _claim, _lead = world
    client.force_login(StaffFactory(role=Role.INTERNAL_SALES).user)
    hit = hits_by_name(company_lookup("Jansen Metaal Rotterdam"))["Jansen Metaal Rotterdam B.V."]
    response = client.get(reverse("manage:account_detail", args=[hit.account.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Laser cutter LC-3015" in page and eva.name in page
    assert "Privacy request" not in page  # only managers handle those


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Müller", "Nothing found for “Müller”"),  # not the matching key "muller"
        ("  jansen   METAAL ", "2 companies for “jansen METAAL”"),
    ],
)
def test_the_page_echoes_what_the_user_typed(client, world, typed, shown):
    client.force_login(StaffFactory(role=Role.INTERNAL_SALES).user)
    response = client.get(reverse("manage:lookup"), {"q": typed})
    assert shown in response.content.decode()
