"""The one duplicate finder: every way in recognises a repeat of an open lead by the same
rule (e-mail, VAT number, website or e-mail domain, name in the country; within the
duplicate window), so a company that writes in three ways has one lead."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import DuplicateSubmission, Integration, Lead, Policy
from leads.services import duplicates
from leads.services.api_keys import api_key_create
from leads.services.cleaning import clean_lead_fields
from leads.services.imports import import_leads
from leads.services.intake import find_existing, lead_intake
from tests.factories import DealerFactory, territory_with

pytestmark = pytest.mark.django_db

ORIGINAL = {
    "company_name": "Van Leeuwen Verpakkingen B.V.",
    "country": "NL",
    "postcode": "3011 AB",
    "vat_number": "NL004495445B01",
    "website": "https://www.vanleeuwen.example/",
    "contact_name": "Sanne van Leeuwen",
    "contact_email": "sanne@vanleeuwen.example",
}


@pytest.fixture
def rotterdam():
    dealer = DealerFactory(name="Rijnmond Techniek")
    territory_with(name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(dealer, 1)])
    return dealer


def intake(source=Lead.Source.API, **fields):
    return lead_intake(data=clean_lead_fields({**ORIGINAL, **fields}), source=source)


def test_the_same_company_through_the_api_the_form_and_a_csv_file_is_one_lead(client, rotterdam):
    integration = Integration.objects.create(name="Website", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="site", integration=integration)
    response = client.post(
        "/api/v1/leads/",
        {**ORIGINAL, "external_id": "crm-1"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {secret}",
    )
    assert response.status_code == 201, response.content
    # A colleague on the inquiry form: another name spelling, the company's domain.
    form = {
        "company_name": "Van Leeuwen Verpakking",
        "contact_name": "Piet de Vries",
        "contact_email": "piet@vanleeuwen.example",
        "country": "NL",
        "interest": "demo",
        "timeline": "3m",
        "consent": "on",
    }
    assert client.post(reverse("inbound"), form).status_code == 302
    # A trade-fair list: the trading name and the VAT number, a personal address.
    report = import_leads(
        stream=io.BytesIO(
            b"company,vat,email,country\nVLV Packaging,NL 0044.95.445.B01,j.jansen@gmail.com,NL\n"
        )
    )

    assert Lead.objects.count() == 1
    assert report.duplicates == 1 and report.created == 0
    assert DuplicateSubmission.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "repeat"),
    [
        ({"company_name": "Other", "contact_email": "SANNE@vanleeuwen.example"}, True),
        ({"company_name": "Other", "vat_number": "NL 0044.95.445.B01"}, True),
        ({"company_name": "Other", "website": "vanleeuwen.example"}, True),
        ({"company_name": "Other", "contact_email": "piet@vanleeuwen.example"}, True),
        ({"company_name": "VAN LEEUWEN VERPAKKINGEN BV"}, True),
        # The same name in another country is another company; free mail says nothing.
        ({"company_name": ORIGINAL["company_name"], "country": "DE"}, False),
        ({"company_name": "Other", "contact_email": "sanne.vanleeuwen@gmail.com"}, False),
    ],
)
def test_one_rule_for_one_lead_and_for_a_batch(rotterdam, fields, repeat):
    original = intake().lead
    cleaned = clean_lead_fields({"country": "NL", "contact_phone": "+31 10 123 4567", **fields})
    submission = Lead(**{k: v for k, v in cleaned.items() if k not in ("interest",)})
    submission.fill_lookup_columns()
    now = timezone.now()

    single, _seen_before = find_existing(submission, now=now)
    (batch,) = duplicates.originals_of([submission], now=now)
    other = Lead(company_name="Nothing Alike B.V.", country="BE")
    other.fill_lookup_columns()
    pair = duplicates.originals_of([other, submission], now=now)

    expected = original if repeat else None
    assert (single, batch, pair) == (expected, expected, [None, expected])


def test_only_open_leads_from_the_window_are_originals(rotterdam):
    first = intake().lead
    now = timezone.now()
    window = Policy.current().duplicate_window_days
    submission = Lead(company_name="Other", country="NL", contact_email=first.contact_email)
    submission.fill_lookup_columns()

    assert duplicates.originals_of([submission], now=now) == [first]
    later = now + timedelta(days=window, minutes=1)
    assert duplicates.originals_of([submission], now=later) == [None]
    Lead.objects.filter(pk=first.pk).update(status=Lead.Status.LOST)
    assert duplicates.originals_of([submission], now=now) == [None]


def test_the_oldest_open_lead_is_the_original(rotterdam):
    older = intake(contact_email="a@one.example", vat_number="", website="").lead
    Lead.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    newer = intake(
        company_name="Else", contact_email="b@two.example", vat_number="", website=""
    ).lead
    assert newer.pk != older.pk
    submission = Lead(company_name="Else", country="NL", contact_email="a@one.example")
    submission.fill_lookup_columns()

    assert duplicates.originals_of([submission], now=timezone.now()) == [older]
    assert find_existing(submission, now=timezone.now()) == (older, False)


def test_lookup_columns_follow_every_change_of_what_they_are_made_of(monkeypatch):
    """A lead is filled once while nothing changes (the intake fills a new lead when it
    builds it and again when it writes it), and again after any change."""
    from leads.matching.normalize import lookup

    calls = []
    real = lookup.normalize_company_name
    monkeypatch.setattr(lookup, "normalize_company_name", lambda n: calls.append(n) or real(n))
    lead = Lead(company_name="Van Leeuwen B.V.", contact_email=" Sanne@VanLeeuwen.example ")
    lead.fill_lookup_columns()
    lead.fill_lookup_columns()
    assert len(calls) == 1
    assert (lead.contact_email, lead.email_domain) == (
        "sanne@vanleeuwen.example",
        "vanleeuwen.example",
    )
    lead.company_name = "De Vries Logistiek"
    lead.fill_lookup_columns()
    assert lead.company_normalized == real("De Vries Logistiek")
    lead.company_normalized = "set by hand"
    lead.fill_lookup_columns()
    assert lead.company_normalized == real("De Vries Logistiek")
    lead.website = "https://www.devries.example/"
    lead.fill_lookup_columns()
    assert lead.website_domain == "devries.example"
    assert len(calls) == 4
