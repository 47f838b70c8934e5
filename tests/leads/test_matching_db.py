"""The matcher on the database (``leads.matching.matcher``): which account a lead is
matched to, by which identifier, and who the lead then goes to. Leads are made by the
real intake service from what a web form or the API would send, so every spelling
below goes through the same cleaning, lookup columns and matcher as in production.

The pure normaliser has its own table tests (``test_normalize.py``); these prove that
the stored columns and the queries agree with it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.matching.matcher import CompanyKeys, find_account, match_company
from leads.models import Account
from portal.messages import render_message
from portal.users.models import Role
from tests.factories import AccountFactory, InstalledProductFactory, StaffFactory
from tests.leads.pipeline_world import new_lead

pytestmark = pytest.mark.django_db

POSTCODES = {"NL": "3011 AB", "BE": "1000", "DE": "10115", "AT": "1010", "CH": "8001", "LU": "1234"}

# One known company per country, with its identifiers as the product stores them.
ACCOUNTS = {
    "NL": {
        "legal_name": "Van Dijk Verpakkingen B.V.",
        "vat_number": "NL004495445B01",
        "coc_number": "12345678",
        "website_domain": "vandijk-verpakkingen.example",
    },
    "BE": {"legal_name": "Dubois Logistique SRL", "vat_number": "BE0403019261"},
    "DE": {"legal_name": "Müller Maschinenbau GmbH", "vat_number": "DE136695976"},
    "AT": {"legal_name": "Gruber Anlagenbau GmbH", "vat_number": "ATU13585627"},
    "CH": {"legal_name": "Keller Fördertechnik AG", "vat_number": "CHE107787577"},
    "LU": {"legal_name": "Schmit Industries S.A.", "vat_number": "LU15027442"},
}


@pytest.fixture
def accounts():
    return {
        country: AccountFactory(
            country=country,
            postcode=POSTCODES[country],
            postcode_number=int(POSTCODES[country][:4]),
            **fields,
        )
        for country, fields in ACCOUNTS.items()
    }


def lead_from(country: str, **fields):
    """A lead from a stranger's name and address: only ``fields`` can match it."""
    stranger = {
        "company_name": "Onbekend Prospect B.V.",
        "contact_email": "jan@onbekend-prospect.example",
    }
    return new_lead(country=country, postcode=POSTCODES[country], **stranger | fields)


def matched(lead) -> tuple[Account | None, str]:
    """The account and the identifier the matcher finds for the stored lead (routing's
    batch query and the one-company query agree)."""
    keys = CompanyKeys.of_lead(lead)
    match = match_company(keys, now=timezone.now(), exclude_lead=lead.pk)
    assert find_account(keys) == (match.account, match.matched_by)
    return match.account, match.matched_by


@pytest.mark.parametrize(
    ("country", "fields", "matched_by"),
    [
        ("NL", {"contact_email": "inkoop@vandijk-verpakkingen.example"}, "domain"),
        ("NL", {"contact_email": "Inkoop@VanDijk-Verpakkingen.EXAMPLE"}, "domain"),
        ("NL", {"website": "https://www.vandijk-verpakkingen.example/contact"}, "domain"),
        ("NL", {"website": "VanDijk-Verpakkingen.example"}, "domain"),
        ("NL", {"website": "http://www.vandijk-verpakkingen.example:8080/"}, "domain"),
        ("NL", {"coc_number": "12345678"}, "coc"),
        ("NL", {"coc_number": "KvK 1234 5678"}, "coc"),
        ("NL", {"coc_number": "kvk-nummer: 1234.5678"}, "coc"),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(value.values()),
)
def test_a_lead_finds_its_account_by_domain_website_or_kvk(accounts, country, fields, matched_by):
    lead = lead_from(country, **fields)
    assert lead.account == accounts["NL"]
    assert matched(lead) == (accounts["NL"], matched_by)


@pytest.mark.parametrize(
    ("country", "vat"),
    [
        ("NL", "NL004495445B01"),
        ("NL", "nl004495445b01"),
        ("NL", "NL 0044.95.445.B01"),
        ("NL", "004495445B01"),
        ("NL", "0044 95 445 b01"),
        ("BE", "BE0403019261"),
        ("BE", "BE 0403.019.261"),
        ("BE", "be403019261"),
        ("BE", "0403.019.261"),
        ("BE", "403 019 261"),
        ("DE", "DE136695976"),
        ("DE", "DE 136 695 976"),
        ("DE", "de136695976"),
        ("DE", "136695976"),
        ("DE", "136.695.976"),
        ("AT", "ATU13585627"),
        ("AT", "AT U 135 85 627"),
        ("AT", "atu13585627"),
        ("AT", "U13585627"),
        ("AT", "u 1358 5627"),
        ("CH", "CHE-107.787.577 MWST"),
        ("CH", "CHE107787577"),
        ("CH", "che 107 787 577 tva"),
        ("CH", "CHE-107.787.577 IVA"),
        ("CH", "107.787.577"),
        ("LU", "LU15027442"),
        ("LU", "LU 1502 7442"),
        ("LU", "lu15027442"),
        ("LU", "15027442"),
        ("LU", "1502.7442"),
    ],
)
def test_a_lead_finds_its_account_by_vat_number_in_any_spelling(accounts, country, vat):
    lead = lead_from(country, vat_number=vat)
    assert lead.account == accounts[country]
    assert matched(lead) == (accounts[country], "vat")


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("vat_number", "NL 0044.95.445.B01"),
        ("vat_number", "nl004495445b01"),
        ("coc_number", "KvK 1234.5678"),
        ("website_domain", "https://www.VanDijk-Verpakkingen.example/"),
        ("website_domain", "WWW.VANDIJK-VERPAKKINGEN.EXAMPLE"),
    ],
)
def test_an_account_typed_in_the_admin_way_is_found_too(field, typed):
    """A channel manager types an account's identifiers as printed on an invoice or
    copied from a browser; the stored lookup column is normalised all the same."""
    account = AccountFactory(legal_name="Van Dijk Verpakkingen B.V.", **{field: typed})
    lead = lead_from(
        "NL",
        vat_number="NL004495445B01",
        coc_number="12345678",
        website="vandijk-verpakkingen.example",
    )
    assert lead.account == account
    assert matched(lead)[1] == {"vat_number": "vat", "coc_number": "coc"}.get(field, "domain")


@pytest.mark.parametrize(
    ("field", "typed"),
    [("vat_number", "NL 0044.95.446.B01"), ("coc_number", "KvK 1234 567")],
)
def test_the_admin_refuses_an_account_number_that_can_never_match(field, typed):
    account = AccountFactory.build(legal_name="Van Dijk Verpakkingen B.V.", **{field: typed})
    with pytest.raises(ValidationError) as raised:
        account.full_clean()
    assert list(raised.value.message_dict) == [field]


FREE_MAIL = [
    "gmail.com",
    "outlook.com",
    "web.de",
    "gmx.de",
    "hotmail.com",
    "icloud.com",
    "telenet.be",
    "ziggo.nl",
    "bluewin.ch",
]


@pytest.mark.parametrize("domain", FREE_MAIL)
def test_a_free_mail_address_never_matches(domain):
    """Not an account that (wrongly) has the free-mail domain as its website, nor another
    prospect who wrote from the same provider, nor one who typed it as a website."""
    AccountFactory(legal_name="Provider Kunde B.V.", website_domain=domain)
    earlier = new_lead(company_name="Eerste Prospect B.V.", contact_email=f"anna@{domain}")
    for number, fields in enumerate(
        [
            {"contact_email": f"jan@{domain}"},
            {"contact_email": f"Piet.Jansen@{domain.upper()}"},
            {"contact_email": f"kees@{domain}", "website": f"www.{domain}"},
            {"contact_email": "joop@bedrijf.example", "website": f"joop@{domain}"},
        ]
    ):
        lead = new_lead(company_name=f"Ander Prospect {number} B.V.", **fields)
        match = match_company(CompanyKeys.of_lead(lead), now=timezone.now(), exclude_lead=lead.pk)
        assert (lead.account, match.account, match.matched_by) == (None, None, ""), fields
        assert earlier not in match.open_leads, fields


@pytest.fixture
def eva():
    return StaffFactory(
        role=Role.INTERNAL_SALES, is_account_manager=True, user__name="Eva Visser"
    ).user


@pytest.mark.parametrize(
    "fields",
    [
        {"company_name": "Jansen Metaal Rotterdam B.V."},
        {"contact_email": "inkoop@jansen-metaal-rotterdam.example"},
        {"vat_number": "NL 8047.73.531.B01"},
    ],
    ids=["name", "domain", "vat"],
)
def test_a_subsidiary_routes_through_its_parent_to_the_parents_account_manager(eva, fields):
    parent = AccountFactory(legal_name="Jansen Metaal Holding B.V.", account_manager=eva)
    InstalledProductFactory(account=parent, product="Laser LC-3015", installed_on=date(2024, 5, 2))
    subsidiary = AccountFactory(
        legal_name="Jansen Metaal Rotterdam B.V.",
        parent=parent,
        website_domain="jansen-metaal-rotterdam.example",
        vat_number="NL804773531B01",
    )
    lead = new_lead(**fields)
    assert lead.account == subsidiary
    assert (lead.owner_user, lead.routing_rule) == (eva, "installed_base")
    assert "part of Jansen Metaal Holding B.V." in render_message(lead.routing_reason)


def test_a_subsidiary_two_levels_down_routes_to_the_top_parents_manager(eva):
    group = AccountFactory(legal_name="Jansen Groep N.V.", account_manager=eva)
    InstalledProductFactory(account=group, product="Laser LC-3015")
    holding = AccountFactory(legal_name="Jansen Metaal Holding B.V.", parent=group)
    AccountFactory(legal_name="Jansen Metaal Rotterdam B.V.", parent=holding)
    lead = new_lead(company_name="Jansen Metaal Rotterdam")
    assert (lead.owner_user, lead.routing_rule) == (eva, "installed_base")


@pytest.mark.parametrize(
    ("account_name", "lead_name"),
    [
        ("Van Dijk Verpakkingen B.V.", "VAN DIJK VERPAKKINGEN BV"),
        ("Van Dijk Verpakkingen B.V.", "van dijk verpakkingen"),
        ("Van Dijk Verpakkingen B.V.", "Van Dijk Verpakkingen N.V."),
        ("Van Dijk Verpakkingen B.V.", "Van Dijk Verpakkingen Besloten Vennootschap"),
        ("Van Dijk Verpakkingen", "B.V. Van Dijk Verpakkingen"),
        ("Jansen & Zonen V.O.F.", "JANSEN EN ZONEN VOF"),
        ("Müller Maschinenbau GmbH & Co. KG", "MÜLLER MASCHINENBAU GMBH"),
        ("Müller Maschinenbau GmbH", "Müller Maschinenbau AG"),
        ("Gruber Anlagenbau Ges.m.b.H.", "gruber anlagenbau gmbh"),
        ("Keller Fördertechnik AG", "Keller Fördertechnik SA"),
        ("Schmit Industries S.à r.l.", "SCHMIT INDUSTRIES SARL"),
        ("Dubois Logistique SPRL", "Dubois Logistique S.R.L."),
    ],
)
def test_a_name_that_differs_only_in_legal_form_and_case_matches(account_name, lead_name):
    account = AccountFactory(legal_name=account_name)
    lead = new_lead(company_name=lead_name)
    assert lead.account == account
    assert matched(lead) == (account, "name")


@pytest.mark.parametrize(
    ("country", "other_country"),
    [("NL", "BE"), ("DE", "AT"), ("CH", "DE"), ("LU", "BE"), ("BE", "NL")],
)
def test_the_same_name_in_another_country_is_another_company(country, other_country, eva):
    """Two companies whose names normalise alike but that are in different countries:
    the lead is matched to the one in its own country, or to none."""
    there = AccountFactory(
        legal_name="Technik Service GmbH", country=other_country, account_manager=eva
    )
    InstalledProductFactory(account=there)
    lead = lead_from(country, company_name="Technik Service B.V.")
    assert lead.account is None
    assert matched(lead) == (None, "")
    assert lead.routing_rule != "installed_base"

    here = AccountFactory(legal_name="TECHNIK SERVICE AG", country=country)
    keys = CompanyKeys.of(name="Technik Service B.V.", country=country)
    match = match_company(keys, now=timezone.now())
    assert (match.account, match.matched_by) == (here, "name")
    assert there.normalized_name == here.normalized_name


def test_the_same_register_number_in_another_country_is_another_company():
    """A chamber-of-commerce number identifies a company only within its own register:
    a Dutch KvK number does not find a company abroad whose number has the same digits."""
    AccountFactory(legal_name="Ausland Firma GmbH", country="DE", coc_number="12345678")
    lead = lead_from("NL", coc_number="KvK 1234 5678")
    assert lead.account is None
    assert matched(lead) == (None, "")


@pytest.mark.postgres
def test_one_company_is_matched_by_compiled_sql_with_what_the_orm_would_load(
    django_assert_num_queries,
):
    """A lead's way in fetches its account, the parent chain, their installed base and
    the active claims by SQL compiled once per shape; what it loads and caches is what
    ``matching_accounts()`` (select_related and prefetch_related) loads, and reading it
    afterwards queries nothing."""
    from datetime import timedelta

    from dealers.models import Claim
    from leads.matching.matcher import matching_accounts
    from tests.factories import DealerFactory

    now = timezone.now()
    group = AccountFactory(legal_name="Jansen Groep N.V.")
    holding = AccountFactory(legal_name="Jansen Metaal Holding B.V.", parent=group)
    plant = AccountFactory(
        legal_name="Jansen Metaal Rotterdam B.V.", parent=holding, vat_number="NL804773531B01"
    )
    for account, years in ((group, (2019, 2023)), (plant, (2021,))):
        for year in years:
            InstalledProductFactory(account=account, installed_on=date(year, 3, 1))
    dealer = DealerFactory()
    for status, account in ((Claim.Status.APPROVED, plant), (Claim.Status.PENDING, plant)):
        Claim.objects.create(
            dealer=dealer,
            account=account,
            company_name=plant.legal_name,
            country="NL",
            status=status,
            approved_at=now - timedelta(days=60),
            expires_at=now + timedelta(days=30),
        )
    keys = CompanyKeys(vat="NL804773531B01", country="NL")
    for _ in range(3):  # the first call compiles, the next ones reuse it
        match = match_company(keys, now=now)
        with django_assert_num_queries(0):
            chain = [match.account, match.account.parent, match.account.parent.parent]
            installed = [list(a.installed_base.all()) for a in chain]
            backlinks = {p.account for products in installed for p in products}
        expected = matching_accounts().get(pk=plant.pk)
        assert chain == [plant, holding, group]
        assert installed == [
            list(expected.installed_base.all()),
            list(expected.parent.installed_base.all()),
            list(expected.parent.parent.installed_base.all()),
        ]
        assert [p.installed_on.year for p in installed[2]] == [2023, 2019]  # newest first
        assert backlinks == {plant, group}
        assert [c.expires_at > now for c in match.claims] == [True]
        assert match.claims[0].status == Claim.Status.APPROVED


@pytest.mark.postgres
@pytest.mark.parametrize(
    "given",
    [
        {"vat": "NL804773531B01", "country": "NL"},
        {"coc": "24345678", "country": "NL"},
        {"domains": ("jansen-metaal.nl", "elders.nl")},
        {"name": "jansen metaal rotterdam", "country": "NL"},
        {"name": "jansen metaal rotterdam", "country": "BE"},
        {"vat": "NL804773531B01", "coc": "24345678", "name": "jansen groep", "country": "NL"},
    ],
)
def test_find_account_by_compiled_sql_finds_what_the_orm_finds(given, django_assert_num_queries):
    from leads.matching.matcher import _matched_by, _rank, matching_accounts

    group = AccountFactory(legal_name="Jansen Groep N.V.", coc_number="24345678")
    InstalledProductFactory(account=group)
    holding = AccountFactory(legal_name="Jansen Metaal Holding B.V.", parent=group)
    AccountFactory(
        legal_name="Jansen Metaal Rotterdam B.V.",
        parent=holding,
        vat_number="NL804773531B01",
        website_domain="jansen-metaal.nl",
    )
    keys = CompanyKeys(**given)
    reference = list(matching_accounts().filter(keys.account_filter())[:10])
    expected = min(reference, key=lambda a: (_rank(a, keys), a.pk)) if reference else None
    for _ in range(2):
        account, how = find_account(keys)
        assert account == expected
        assert how == (_matched_by(_rank(expected, keys)) if expected else "")
        if account is not None:
            with django_assert_num_queries(0):
                while account is not None:
                    list(account.installed_base.all())
                    account = account.parent if account.parent_id else None
