"""The one field cleaner: leads and claims follow the same rules, whichever way they
arrive, and nothing it lets through fails to store."""

import io
import math
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from dealers.models import Claim
from leads.models import Integration, Lead
from leads.services.api_keys import api_key_create
from leads.services.cleaning import CLAIM_FIELDS, clean_claim_fields, clean_lead_fields
from leads.services.imports import import_leads
from tests.dealers.conftest import company
from tests.factories import DealerFactory, DealerMemberFactory, territory_with

LEAD = {"company_name": "Van Leeuwen B.V.", "country": "NL", "contact_email": "s@vl.example"}
CLAIM = {"company_name": "Van Leeuwen B.V.", "country": "NL"}

BAD_AMOUNTS = ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e20", "1e10", "-1", "12,5k"]


def errors_of(clean, data) -> dict:
    with pytest.raises(ValidationError) as raised:
        clean(data)
    return raised.value.message_dict


@pytest.mark.parametrize("value", BAD_AMOUNTS)
def test_an_amount_that_is_no_storable_number_is_refused_for_leads_and_claims(value):
    lead = errors_of(clean_lead_fields, {**LEAD, "estimated_value": value})
    claim = errors_of(clean_claim_fields, {**CLAIM, "expected_value": value})

    assert list(lead) == ["estimated_value"] and list(claim) == ["expected_value"]
    assert lead["estimated_value"] == claim["expected_value"]  # one rule, one message


@pytest.mark.parametrize(
    ("value", "kept"),
    [("45000", Decimal("45000.00")), (45000.5, Decimal("45000.50")), ("", None), (None, None)],
)
def test_a_good_amount_is_kept_to_the_cent(value, kept):
    assert clean_lead_fields({**LEAD, "estimated_value": value})["estimated_value"] == kept
    assert clean_claim_fields({**CLAIM, "expected_value": value})["expected_value"] == kept


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("company_name", "x" * 201),
        ("company_name", "Null\x00 B.V."),
        ("company_name", "Bell\x07 B.V."),
        ("company_name", ""),
        ("website", "w" * 201),
        ("contact_name", "n" * 151),
        ("contact_email", "not-an-address"),
        ("country", "XX"),
        ("country", ""),
        ("postcode", "12"),
        ("vat_number", "NL123"),
    ],
)
def test_leads_and_claims_share_each_rule_and_its_message(field, value):
    lead = errors_of(clean_lead_fields, {**LEAD, field: value})
    claim = errors_of(clean_claim_fields, {**CLAIM, field: value})

    assert lead[field] == claim[field]


@pytest.mark.parametrize(
    ("country", "phone", "kept"),
    [
        ("NL", "010 123 4567", "+31 10 123 4567"),  # the lead's country is the default
        ("NL", "06-12345678", "+31 6 12345678"),
        ("DE", "030 1234567", "+49 30 1234567"),
        ("BE", "+32 2 555 12 12", "+32 2 555 12 12"),
        ("NL", "+49 89 1234567", "+49 89 1234567"),  # a number of another country
        ("AT", "0043 1 5121234", "+43 1 5121234"),
        ("NL", "", ""),
    ],
)
def test_a_phone_number_is_checked_for_the_leads_country_and_kept_international(
    country, phone, kept
):
    cleaned = clean_lead_fields({**LEAD, "country": country, "contact_phone": phone})
    assert cleaned["contact_phone"] == kept


@pytest.mark.parametrize(
    ("country", "phone"),
    [("NL", "call me maybe"), ("NL", "12"), ("NL", "010 123"), ("DE", "+31 6 123"), ("XX", "06 1")],
)
def test_a_phone_number_nobody_can_call_is_refused(country, phone):
    errors = errors_of(clean_lead_fields, {**LEAD, "country": country, "contact_phone": phone})
    assert "contact_phone" in errors
    assert "+" in errors["contact_phone"][0]  # an example number in the message


def test_the_postcode_error_names_the_country():
    from django.utils import translation

    for language, text in (
        ("en", "not a valid German postcode"),
        ("nl", "geen geldige Duitse postcode"),
        ("de", "keine gültige deutsche Postleitzahl"),
    ):
        with translation.override(language):
            errors = errors_of(clean_lead_fields, {**LEAD, "country": "DE", "postcode": "1234"})
        assert text in errors["postcode"][0], errors
        assert " DE " not in errors["postcode"][0]


def test_long_texts_are_limited_like_their_column():
    assert "message" in errors_of(clean_lead_fields, {**LEAD, "message": "m" * 5001})
    assert "notes" in errors_of(clean_claim_fields, {**CLAIM, "notes": "m" * 5001})
    assert clean_lead_fields({**LEAD, "message": "line\r\n\tnext"})["message"] == "line\r\n\tnext"


def test_a_claim_keeps_only_its_own_fields():
    cleaned = clean_claim_fields({**CLAIM, "sector": "food", "is_staff": True})
    assert set(cleaned) == {*CLAIM_FIELDS, "postcode_number"}


texts = st.one_of(st.none(), st.text(max_size=300), st.integers(), st.floats())


@settings(max_examples=300, deadline=None)
@given(
    data=st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(
            (
                "company_name",
                "website",
                "city",
                "contact_name",
                "contact_role",
                "contact_phone",
                "contact_email",
                "external_id",
                "message",
                "country",
                "postcode",
                "vat_number",
                "coc_number",
                "estimated_value",
                "sector",
                "language",
                "temperature",
                "interest",
            ),
            texts,
        ),
    )
)
def test_whatever_arrives_is_refused_with_messages_or_fits_the_columns(data):
    """The class: any input gives field errors, or values every column can store."""
    for clean, model, amount in (
        (clean_lead_fields, Lead, "estimated_value"),
        (clean_claim_fields, Claim, "expected_value"),
    ):
        given = {**data, amount: data.get("estimated_value")}
        try:
            cleaned = clean(given)
        except ValidationError as error:
            assert error.message_dict and all(error.message_dict.values())
            continue
        for name, value in cleaned.items():
            field = next((f for f in model._meta.concrete_fields if f.name == name), None)
            if field is None or not isinstance(value, str):
                continue
            assert "\x00" not in value
            assert len(value) <= (field.max_length or 5000), name
        value = cleaned[amount]
        assert value is None or (value.is_finite() and 0 <= value < Decimal("1e10"))
        assert value is None or value == value.quantize(Decimal("0.01"))
        assert not isinstance(value, float) or not math.isnan(value)


# --- every way in ---------------------------------------------------------------------


@pytest.fixture
def ways(db):
    """A dealer in Rotterdam with a user, and an integration key."""
    dealer = DealerFactory(name="Rijnmond Techniek", countries=["NL"])
    territory_with(name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(dealer, 1)])
    user = DealerMemberFactory(dealer=dealer).user
    integration = Integration.objects.create(name="Website", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="site", integration=integration)
    return {"user": user, "key": secret}


def via_api(client, ways, fields):
    body = {"company_name": "Van Leeuwen B.V.", "country": "NL", "postcode": "3011 AB"}
    body |= {"contact_email": "sanne@vanleeuwen.example", **fields}
    response = client.post(
        "/api/v1/leads/", body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {ways['key']}",
    )  # fmt: skip
    return response.status_code, response.content.decode()


def via_send_in(client, ways, fields):
    client.force_login(ways["user"])
    body = {"company_name": "Van Leeuwen B.V.", "country": "NL", "postcode": "3011 AB"}
    body |= {"contact_name": "Sanne", "contact_email": "sanne@vanleeuwen.example"}
    response = client.post(reverse("leads:submit"), {**body, "interest": "demo", **fields})
    return response.status_code, response.content.decode()


def via_inquiry(client, ways, fields):
    body = {"company_name": "Van Leeuwen B.V.", "country": "NL", "postcode": "3011 AB"}
    body |= {"contact_name": "Sanne", "contact_email": "sanne@vanleeuwen.example"}
    body |= {"interest": "demo", "timeline": "3m", "consent": "on"}
    response = client.post(reverse("inbound"), {**body, **fields})
    return response.status_code, response.content.decode()


def via_csv(client, ways, fields):
    row = {"company": "Van Leeuwen B.V.", "country": "NL", "postcode": "3011 AB"}
    row |= {"email": "sanne@vanleeuwen.example"}
    row |= {
        {"company_name": "company", "estimated_value": "value", "contact_phone": "phone"}.get(
            k, k
        ): v
        for k, v in fields.items()
    }
    text = ",".join(row) + "\n" + ",".join(f'"{v}"' for v in row.values()) + "\n"
    report = import_leads(stream=io.BytesIO(text.encode()))
    return (400 if report.error_rows else 201), repr(report.errors)


def via_claim_form(client, ways, fields):
    client.force_login(ways["user"])
    fields = {{"estimated_value": "expected_value"}.get(k, k): v for k, v in fields.items()}
    response = client.post(reverse("dealers:claims"), {**company(), **fields})
    return response.status_code, response.content.decode()


def via_claim_api(client, ways, fields):
    _key, secret = api_key_create(name="ERP", user=ways["user"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    fields = {{"estimated_value": "expected_value"}.get(k, k): v for k, v in fields.items()}
    response = api.post(reverse("api-claims"), {**company(), **fields}, format="json")
    return response.status_code, response.content.decode()


WAYS = [via_api, via_send_in, via_inquiry, via_csv, via_claim_form, via_claim_api]
WITH_AMOUNT = [via_api, via_send_in, via_csv, via_claim_form, via_claim_api]


@pytest.mark.django_db
@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.__name__)
@pytest.mark.parametrize(
    "fields",
    [
        {"company_name": "x" * 10_000},
        {"company_name": "Null\x00 B.V."},
        {"country": "XX"},
        {"postcode": "12"},
    ],
    ids=["long-name", "nul-byte", "country", "postcode"],
)
def test_every_way_in_refuses_what_breaks_a_rule_and_stores_nothing(client, ways, way, fields):
    status, body = way(client, ways, fields)

    assert status in (200, 400), body  # the form again with its errors, or a 400
    assert not Lead.objects.exists() and not Claim.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("way", WITH_AMOUNT, ids=lambda w: w.__name__)
@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e20", "-5"])
def test_every_way_in_refuses_an_amount_it_could_not_store(client, ways, way, value):
    status, body = way(client, ways, {"estimated_value": value})

    assert status in (200, 400), body
    assert not Lead.objects.exists() and not Claim.objects.exists()


LEAD_WAYS = [via_api, via_send_in, via_inquiry, via_csv]


@pytest.mark.django_db
@pytest.mark.parametrize("way", LEAD_WAYS, ids=lambda w: w.__name__)
def test_every_way_in_refuses_a_phone_number_nobody_can_call(client, ways, way):
    status, body = way(client, ways, {"contact_phone": "call me maybe"})

    assert status in (200, 400), body
    assert "such as +31" in body  # the same message, with an example of the country
    assert not Lead.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("way", LEAD_WAYS, ids=lambda w: w.__name__)
def test_every_way_in_keeps_a_phone_number_in_international_form(client, ways, way):
    status, body = way(client, ways, {"contact_phone": "010-1234567"})

    assert status in (201, 302), body
    assert Lead.objects.get().contact_phone == "+31 10 123 4567"


@pytest.mark.django_db
@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.__name__)
def test_every_way_in_takes_a_good_submission(client, ways, way):
    status, body = way(client, ways, {})

    assert status in (201, 302), body
    assert Lead.objects.count() + Claim.objects.count() == 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(min_size=1, max_size=400), value=st.text(max_size=30))
@pytest.mark.django_db
def test_the_api_answers_any_company_name_and_value_with_201_or_400(client, ways, name, value):
    status, body = via_api(client, ways, {"company_name": name, "estimated_value": value})
    assert status in (200, 201, 400), body


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Gebruik ten hoogste 200 tekens (dit zijn er 10.000)."),
        ("de", "Verwenden Sie höchstens 200 Zeichen (dieser Text hat 10.000)."),
    ],
)
def test_the_messages_are_in_the_readers_language(language, expected):
    from django.utils import translation

    with translation.override(language):
        errors = errors_of(clean_claim_fields, {**CLAIM, "company_name": "x" * 10_000})
        amount = errors_of(clean_lead_fields, {**LEAD, "estimated_value": "1e20"})

    assert errors["company_name"] == [expected]
    assert "9.999.999.999,99" in amount["estimated_value"][0]
