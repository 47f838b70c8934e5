"""Accounts and installed base from a CRM or ERP: ``PUT /api/v1/accounts/{external_id}/``
and ``POST /api/v1/accounts/batch/`` with an integration key that has the accounts
scope; idempotent upserts, field errors per item, nothing half-written, and the next
lead of a synced company routed by the new facts."""

import time
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.api.account_views import ACCOUNT_EXAMPLE
from leads.models import Account, ApiKey, InstalledProduct, Integration, Lead
from leads.services.api_keys import api_key_create
from portal.users.models import Role
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead
from tests.query_plans import full_reads

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm():
    integration = Integration.objects.create(name="CRM", kind=Integration.Kind.OTHER)
    _key, secret = api_key_create(
        name="crm", integration=integration, scopes=[ApiKey.Scope.ACCOUNTS]
    )
    eva = StaffFactory(
        role=Role.INTERNAL_SALES, is_account_manager=True, user__email="eva@maker.example"
    ).user
    dealer = DealerFactory(name="Rijnmond Techniek", external_id="DLR-7")
    territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(dealer, 1)])
    return {"key": secret, "eva": eva, "dealer": dealer, "integration": integration}


def put(client, key, external_id, **body):
    return client.put(
        f"/api/v1/accounts/{external_id}/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )


def batch(client, key, accounts):
    return client.post(
        "/api/v1/accounts/batch/",
        {"accounts": accounts},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )


ACCOUNT = {
    "legal_name": "Van Dijk Techniek B.V.",
    "domain": "https://www.vandijk-techniek.nl/",
    "vat_number": "NL 0044.95.445.B01",
    "country": "NL",
    "postcode": "3011 ab",
    "city": "Rotterdam",
    "account_manager": "Eva@Maker.example",
    "serving_dealer": "DLR-7",
    "installed_base": [
        {"product": "CNC 5-axis", "serial_number": "SN-1", "installed_on": "2023-05-12"}
    ],
}


def test_a_put_creates_then_updates_the_same_account(client, crm):
    first = put(client, crm["key"], "crm-1", **ACCOUNT)
    assert first.status_code == 201, first.content
    assert first.json()["created"] is True
    account = Account.objects.get(external_id="crm-1")
    assert (account.website_domain, account.vat_number) == ("vandijk-techniek.nl", "NL004495445B01")
    assert (account.postcode, account.postcode_number) == ("3011 AB", 3011)
    assert (account.account_manager, account.serving_dealer) == (crm["eva"], crm["dealer"])
    assert list(account.installed_base.values_list("product", flat=True)) == ["CNC 5-axis"]

    again = put(client, crm["key"], "crm-1", **ACCOUNT)
    assert again.status_code == 200 and again.json() == {
        "external_id": "crm-1",
        "id": account.pk,
        "created": False,
    }
    assert Account.objects.count() == 1 and InstalledProduct.objects.count() == 1

    # A field left out is emptied; the installed base is kept when it is not sent.
    changed = {
        k: v for k, v in ACCOUNT.items() if k not in ("serving_dealer", "installed_base", "city")
    }
    assert put(client, crm["key"], "crm-1", **changed, city="Schiedam").status_code == 200
    account.refresh_from_db()
    assert (account.city, account.serving_dealer) == ("Schiedam", None)
    assert account.installed_base.count() == 1
    assert put(client, crm["key"], "crm-1", **changed, installed_base=[]).status_code == 200
    assert account.installed_base.count() == 0


def test_bad_fields_are_400_with_field_errors_and_nothing_is_written(client, crm):
    response = put(
        client,
        crm["key"],
        "crm-2",
        **{
            **ACCOUNT,
            "vat_number": "NL123",
            "account_manager": "nobody@maker.example",
            "serving_dealer": "DLR-404",
            "parent": "crm-404",
        },
    )
    assert response.status_code == 400
    assert set(response.json()) == {"vat_number", "account_manager", "serving_dealer", "parent"}
    bad_postcode = put(client, crm["key"], "crm-2", **{**ACCOUNT, "postcode": "30111"})
    assert bad_postcode.status_code == 400 and "postcode" in bad_postcode.json()
    unknown = put(client, crm["key"], "crm-2", **ACCOUNT, credit_limit=5)
    assert unknown.status_code == 400 and "credit_limit" in unknown.json()
    assert not Account.objects.exists()


def test_only_a_key_with_the_accounts_scope_syncs_accounts(client, crm):
    _key, leads_only = api_key_create(name="site", integration=crm["integration"])
    assert put(client, leads_only, "crm-3", **ACCOUNT).status_code == 403
    person = DealerMemberFactory().user
    _key, token = api_key_create(name="mine", user=person, scopes=[ApiKey.Scope.ACCOUNTS])
    assert put(client, token, "crm-3", **ACCOUNT).status_code == 403
    assert put(client, "dp_nope.nope", "crm-3", **ACCOUNT).status_code in (401, 403)
    # And an accounts key posts no leads.
    lead = client.post(
        "/api/v1/leads/",
        {"company_name": "X B.V.", "country": "NL", "postcode": "3011", "contact_email": "a@x.nl"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {crm['key']}",
    )
    assert lead.status_code == 403
    assert not Account.objects.exists() and not Lead.objects.exists()


def test_a_batch_answers_each_item_and_writes_only_the_good_ones(client, crm):
    items = [
        {**ACCOUNT, "external_id": "sub-1", "legal_name": "Van Dijk Service B.V.", "parent": "top-1",
         "vat_number": "", "domain": "vandijk-service.nl", "installed_base": []},
        {**ACCOUNT, "external_id": "top-1"},  # the parent comes after its subsidiary
        {**ACCOUNT, "external_id": "bad-vat", "vat_number": "NL123"},
        {**ACCOUNT, "external_id": "no-parent", "parent": "nowhere"},
        {**ACCOUNT, "external_id": "loop-a", "parent": "loop-b", "vat_number": ""},
        {**ACCOUNT, "external_id": "loop-b", "parent": "loop-a", "vat_number": ""},
        {**ACCOUNT, "external_id": "top-1", "legal_name": "Twice"},
        {"legal_name": "No id", "country": "NL"},
        {**ACCOUNT, "external_id": "bad-country", "country": "XX"},
    ]  # fmt: skip
    response = batch(client, crm["key"], items)
    assert response.status_code == 207, response.content
    body = response.json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == [201, 201, 400, 400, 400, 400, 400, 400, 400]
    assert (body["created"], body["updated"], body["invalid"]) == (2, 0, 7)
    errors = {r["external_id"]: r.get("errors", {}) for r in body["results"]}
    assert "vat_number" in errors["bad-vat"] and "parent" in errors["no-parent"]
    assert "parent" in errors["loop-a"] and "parent" in errors["loop-b"]
    assert "external_id" in errors[""] and "country" in errors["bad-country"]
    assert set(Account.objects.values_list("external_id", flat=True)) == {"sub-1", "top-1"}
    assert Account.objects.get(external_id="sub-1").parent == Account.objects.get(
        external_id="top-1"
    )
    # The same batch again changes nothing but answers "updated".
    again = batch(client, crm["key"], items[:2]).json()
    assert [r["status"] for r in again["results"]] == [200, 200]
    assert Account.objects.count() == 2


@pytest.mark.postgres
def test_every_lookup_of_a_full_batch_uses_an_index(client, crm):
    """Of over 100 ids PostgreSQL cannot tell that none is empty, the condition of the
    partial index on ``external_id``: a lookup that does not say so reads every account."""

    def account(n: int, **fields) -> dict:
        return {"external_id": f"acc-{n}", "legal_name": f"Klant {n} GmbH", "country": "DE",
                "postcode": "80331", "serving_dealer": "DLR-7", **fields}  # fmt: skip

    assert batch(client, crm["key"], [account(n) for n in range(150)]).status_code == 207
    items = [account(n, parent=f"acc-{n - 1}" if n % 2 else "") for n in range(100, 250)]
    with CaptureQueriesContext(connection) as queries:
        body = batch(client, crm["key"], items).json()
    assert (body["created"], body["updated"]) == (100, 50), body["results"][:3]

    tables = {"leads_account", "dealers_dealer"}
    assert full_reads(queries.captured_queries, tables) == []


def test_a_crm_sync_of_10000_accounts_then_a_subsidiarys_lead_goes_to_the_parents_manager(
    client, crm, capsys
):
    started = time.monotonic()
    for start in range(0, 10_000, 1_000):
        items = [
            {
                "external_id": f"acc-{n}",
                "legal_name": f"Synced Company {n} B.V.",
                "domain": f"synced{n}.example",
                "country": "NL",
                "postcode": f"{1000 + n % 8000} AB",
                "parent": f"acc-{n - 1}" if n % 1_000 == 999 else "",
                "account_manager": "eva@maker.example" if n == 998 else "",
                "installed_base": (
                    [{"product": "Press", "installed_on": "2022-01-01"}] if n == 998 else []
                ),
            }
            for n in range(start, start + 1_000)
        ]
        response = batch(client, crm["key"], items)
        assert response.status_code == 207 and response.json()["created"] == 1_000
    seconds = time.monotonic() - started
    assert Account.objects.filter(external_id__startswith="acc-").count() == 10_000
    with capsys.disabled():
        print(f"\naccounts sync: 10,000 in batches of 1,000 in {seconds:.1f} s")
    # acc-999 is a subsidiary of acc-998, a customer whose account manager is Eva.
    lead = new_lead(
        company_name="Synced Company 999 B.V.",
        website="https://synced999.example",
        contact_email="inkoop@synced999.example",
        postcode="3011 AB",
    )
    assert lead.account.external_id == "acc-999"
    assert (lead.owner_user, lead.routing_rule) == (crm["eva"], "installed_base")


def test_changing_an_account_repoints_nothing_owned_but_routes_the_next_lead(client, crm):
    assert (
        put(
            client, crm["key"], "crm-5", **{**ACCOUNT, "account_manager": "", "installed_base": []}
        ).status_code
        == 201
    )
    first = new_lead(company_name="Van Dijk Techniek B.V.", website="vandijk-techniek.nl")
    assert first.owner_dealer == crm["dealer"]
    # The CRM now says the company is a customer of Eva's.
    assert put(client, crm["key"], "crm-5", **ACCOUNT).status_code == 200
    first.refresh_from_db()
    assert first.owner_dealer == crm["dealer"]  # nothing owned moves
    Lead.objects.filter(pk=first.pk).update(status=Lead.Status.LOST)
    second = new_lead(company_name="Van Dijk Techniek B.V.", website="vandijk-techniek.nl")
    assert second.owner_user == crm["eva"]


def test_the_documented_example_is_taken_as_it_reads(client, crm):
    """The schema's example account is one an integrator may copy."""
    put(client, crm["key"], "crm-acc-100", legal_name="Van Dijk Holding B.V.", country="NL")
    StaffFactory(role=Role.INTERNAL_SALES, user__email="eva.visser@example.com")
    response = put(client, crm["key"], "crm-acc-101", **ACCOUNT_EXAMPLE)
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("external_id", ["\u00a0", "%20", "a\u0001", "x" * 101])
def test_a_blank_or_unreadable_id_in_the_path_is_a_field_error_and_writes_nothing(
    client, crm, external_id
):
    response = put(client, crm["key"], quote(external_id, safe="%"), **ACCOUNT)
    assert response.status_code == 400
    assert list(response.json()) == ["external_id"]
    assert not Account.objects.exists()


def test_spaces_around_an_id_in_the_path_are_trimmed(client, crm):
    response = put(client, crm["key"], quote(" crm-9\u00a0"), **ACCOUNT)
    assert response.status_code == 201 and response.json()["external_id"] == "crm-9"
    assert Account.objects.get().external_id == "crm-9"
