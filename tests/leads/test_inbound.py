"""The public inquiry form: same intake as the API, protected against bots and floods."""

import html

import pytest
from django.urls import reverse

from leads.models import Lead
from tests.factories import DealerFactory, territory_with

pytestmark = pytest.mark.django_db

FORM = {
    "company_name": "Van Leeuwen Verpakkingen B.V.",
    "contact_name": "Sanne van Leeuwen",
    "contact_email": "sanne@vanleeuwen-verpakkingen.example",
    "country": "NL",
    "postcode": "3011 AB",
    "city": "Rotterdam",
    "sector": "packaging",
    "interest": "demo",
    "timeline": "3m",
    "decision_maker": "on",
    "consent": "on",
    "message": "We need a new packaging line.",
}


@pytest.fixture
def dealer():
    dealer = DealerFactory(name="Rijnmond Techniek")
    territory_with(name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(dealer, 1)])
    return dealer


def test_the_form_creates_and_routes_a_hot_sales_ready_lead(client, dealer):
    response = client.post(reverse("inbound"), FORM)
    assert response.status_code == 302
    assert response["Location"] == reverse("inbound-thanks")
    lead = Lead.objects.get()
    assert lead.source == "web_form"
    assert lead.owner_dealer == dealer
    assert lead.temperature == "hot"
    assert lead.sales_ready
    assert lead.qualification == {
        "decision_level": True,
        "evaluation_3m": True,
        "purchase_6m": True,
    }
    thanks = client.get(reverse("inbound-thanks"))
    assert b"Thank you for your inquiry" in thanks.content


def test_a_visitor_who_is_not_ready_goes_to_nurture(client, dealer):
    client.post(reverse("inbound"), {**FORM, "timeline": "later", "decision_maker": ""})
    lead = Lead.objects.get()
    assert not lead.sales_ready
    assert lead.owner_queue_id == "nurture"


def test_errors_are_shown_on_the_form_and_nothing_is_saved(client, dealer):
    response = client.post(reverse("inbound"), {**FORM, "postcode": "12", "contact_email": "nope"})
    assert response.status_code == 400
    assert b"not a valid Dutch postcode" in response.content
    assert b"is-invalid" in response.content
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "'12' ist keine gültige niederländische Postleitzahl: erwartet 4 Ziffern"),
        ("nl", "'12' is geen geldige Nederlandse postcode: verwacht 4 cijfers"),
    ],
)
def test_a_wrong_postcode_is_explained_in_the_visitors_language(client, dealer, language, text):
    client.cookies["django_language"] = language
    response = client.post(reverse("inbound"), {**FORM, "postcode": "12"})
    assert response.status_code == 400
    assert text in html.unescape(response.content.decode())


def test_the_honeypot_stops_bots(client, dealer):
    response = client.post(reverse("inbound"), {**FORM, "website_url": "http://spam.example"})
    assert response.status_code == 400
    assert Lead.objects.count() == 0


def test_submissions_are_rate_limited_per_address(client, dealer):
    statuses = [
        client.post(
            reverse("inbound"),
            {**FORM, "contact_email": f"p{i}@x{i}.example", "company_name": f"C{i}"},
        ).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [302] * 5
    assert statuses[5] == 429
    assert Lead.objects.count() == 5


def test_csrf_is_required(dealer):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("inbound"), FORM)
    assert response.status_code == 403
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(("language", "text"), [("nl", "Bedankt"), ("de", "Vielen Dank")])
def test_thank_you_page_speaks_the_visitors_language(client, dealer, language, text):
    client.cookies["django_language"] = language
    client.post(reverse("inbound"), FORM)
    assert Lead.objects.get().language == language
    page = client.get(reverse("inbound-thanks"))
    assert page.headers["Content-Language"] == language


PROXY = "10.0.0.1"  # the TLS-terminating proxy every visitor comes through


def inquire(client, n, **headers):
    return client.post(
        reverse("inbound"),
        {**FORM, "contact_email": f"p{n}@x{n}.example", "company_name": f"C{n}"},
        REMOTE_ADDR=PROXY,
        **headers,
    ).status_code


def test_behind_one_proxy_each_visitor_has_their_own_budget(client, dealer, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # The proxy appends the address it sees; a visitor's own entries come before it.
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert [inquire(client, n, **first) for n in range(6)] == [302] * 5 + [429]
    forged = {"HTTP_X_FORWARDED_FOR": "198.51.100.9, 203.0.113.5"}
    assert inquire(client, 6, **forged) == 429
    second = {"HTTP_X_FORWARDED_FOR": "203.0.113.6"}
    assert inquire(client, 7, **second) == 302
    assert Lead.objects.count() == 6


def test_without_trusted_proxies_a_forged_forwarded_for_gives_no_fresh_budget(
    client, dealer, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    statuses = [inquire(client, n, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(7)]
    assert statuses == [302] * 5 + [429] * 2
    assert Lead.objects.count() == 5
