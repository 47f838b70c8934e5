"""Migration ``leads.0015``: accounts saved before ``Account.save`` normalised their
identifiers (commit 3dc321c) are re-normalised with the same function, so a lead finds
them. The rows are written in the old spelling with ``queryset.update``, which skips
``save`` just as the old code did."""

import importlib

import pytest
from django.apps import apps

from leads.models import Account
from tests.factories import AccountFactory
from tests.leads.test_matching_db import lead_from, matched

pytestmark = pytest.mark.django_db

migration = importlib.import_module("leads.migrations.0015_renormalise_account_identifiers")


def old_spelling(**fields) -> Account:
    """An account as an older release stored it: identifiers as typed."""
    account = AccountFactory(country=fields.pop("country", "NL"), legal_name=fields.pop("name"))
    Account.objects.filter(pk=account.pk).update(**fields)
    return account


@pytest.mark.parametrize(
    ("fields", "matched_by"),
    [
        ({"vat_number": "NL 0044.95.445.B01"}, "vat"),
        ({"vat_number": "nl004495445b01"}, "vat"),
        ({"coc_number": "KvK 1234.5678"}, "coc"),
        ({"website_domain": "https://www.VanDijk-Verpakkingen.example/"}, "domain"),
        ({"website_domain": " WWW.VANDIJK-VERPAKKINGEN.EXAMPLE "}, "domain"),
    ],
)
def test_an_account_stored_in_the_old_spelling_matches_a_lead_after_the_migration(
    fields, matched_by
):
    account = old_spelling(name="Van Dijk Verpakkingen B.V.", **fields)
    lead_fields = {
        "vat": {"vat_number": "NL004495445B01"},
        "coc": {"coc_number": "12345678"},
        "domain": {"website": "vandijk-verpakkingen.example"},
    }[matched_by]
    # A stranger's name, so only the identifier can match.
    lead = lead_from("NL", **lead_fields)
    assert lead.account is None
    assert matched(lead) == (None, "")

    assert migration.renormalise_account_identifiers(apps, None) == 1

    assert matched(lead) == (account, matched_by)


def test_a_number_the_normaliser_refuses_is_kept_and_normalised_rows_are_not_written():
    refused = old_spelling(name="Kapot B.V.", vat_number=" NL 0044.95.446.B01", coc_number="12")
    fine = AccountFactory(legal_name="Goed B.V.", country="NL", vat_number="NL004495445B01")

    assert migration.renormalise_account_identifiers(apps, None) == 1

    refused.refresh_from_db()
    assert (refused.vat_number, refused.coc_number) == ("NL 0044.95.446.B01", "12")
    fine.refresh_from_db()
    assert fine.vat_number == "NL004495445B01"


def test_every_account_is_renormalised_in_batches(django_assert_max_num_queries):
    """Seven old rows with a batch of three: every one changes, in three bulk updates
    and one chunked read (production may hold a million accounts)."""
    accounts = [
        old_spelling(
            name=f"Firma {n} B.V.", country="DE", vat_number="de 136 695 976 ", coc_number=""
        )
        for n in range(7)
    ]
    AccountFactory(legal_name="Schon Normal GmbH", country="DE", vat_number="DE136695976")

    with django_assert_max_num_queries(8):
        assert migration.renormalise_account_identifiers(apps, None, batch_size=3) == 7

    assert set(
        Account.objects.filter(pk__in=[a.pk for a in accounts]).values_list("vat_number", flat=True)
    ) == {"DE136695976"}


def test_the_migration_follows_the_previous_leads_migration():
    assert migration.Migration.dependencies == [("leads", "0014_import_kind_accounts")]
