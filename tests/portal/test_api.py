"""What every API endpoint shares: the body limit, unknown fields refused."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from dealers.models import Claim
from leads.models import ImportJob, Integration, Lead
from leads.services.api_keys import api_key_create
from portal.users.models import Role
from tests.factories import StaffFactory
from tests.leads.pipeline_world import make_world

pytestmark = pytest.mark.django_db
LEADS = "/api/v1/leads/"
LIMIT = 1024 * 1024


@pytest.fixture
def integration_key():
    integration = Integration.objects.create(name="Website", kind=Integration.Kind.WEB_FORM)
    return api_key_create(name="site", integration=integration)[1]


def lead_body(size: int) -> bytes:
    """A lead as JSON of exactly ``size`` bytes (the message fills it up)."""
    lead = {
        "company_name": "Havenbedrijf B.V.",
        "country": "NL",
        "contact_email": "jan@havenbedrijf.example",
        "message": "",
    }
    padding = size - len(json.dumps(lead).encode())
    return json.dumps({**lead, "message": "x" * padding}).encode()


class CountingStream(io.BytesIO):
    """A request stream that remembers how many bytes were read from it."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1, /):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def post_raw(client, key, body: bytes, **extra):
    return client.generic(
        "POST",
        LEADS,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
        **{"CONTENT_TYPE": "application/json", **extra},
    )


def test_a_body_over_1_mb_is_refused_with_413_and_nothing_is_stored(client, integration_key):
    response = post_raw(client, integration_key, lead_body(LIMIT + 1))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than 1048576 bytes" in response.json()["detail"]
    assert Lead.objects.count() == 0


def test_a_body_of_exactly_1_mb_is_parsed(client, integration_key):
    response = post_raw(client, integration_key, lead_body(LIMIT))
    assert response.status_code == 400  # parsed: the message is longer than a lead takes
    assert "message" in response.json()


def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(
    client, integration_key
):
    stream = CountingStream(lead_body(1000))
    response = post_raw(
        client, integration_key, b"", CONTENT_LENGTH=str(LIMIT + 1), **{"wsgi.input": stream}
    )
    assert response.status_code == 413
    assert stream.bytes_read == 0


def test_a_chunked_body_is_read_no_further_than_the_limit(client, integration_key):
    stream = CountingStream(lead_body(5 * LIMIT))
    response = post_raw(
        client,
        integration_key,
        b"",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": stream},
    )
    assert response.status_code == 413
    assert stream.bytes_read == LIMIT + 1


def test_a_small_chunked_body_reaches_the_api(client, integration_key):
    """Without a length Django reads no body at all; the lead used to answer "company_name:
    this field is required"."""
    stream = CountingStream(lead_body(500))
    response = post_raw(
        client,
        integration_key,
        b"",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": stream},
    )
    assert response.status_code == 201, response.json()
    assert Lead.objects.get().company_name == "Havenbedrijf B.V."


def test_the_limit_holds_for_every_api_endpoint_before_authentication(client):
    for url in ("/api/v1/leads/1/status/", "/api/v1/claims/", "/api/v1/leads/"):
        response = client.generic("POST", url, b"x" * (LIMIT + 1), content_type="application/json")
        assert response.status_code == 413, url


def test_the_limit_answers_in_the_callers_language(client):
    with translation.override("en"):  # the language the middleware activates ends here
        response = client.generic(
            "POST",
            LEADS,
            b"x" * (LIMIT + 1),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="de",
        )
    assert response.status_code == 413
    assert "Bytes" in response.json()["detail"]


def test_the_csv_import_page_still_takes_files_over_the_api_limit(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    rows = "".join(
        f"big-{n},Company {n} B.V.,c{n}@company.example,NL,3011 AB\n" for n in range(40000)
    )
    csv = ("external_id,company,email,country,postcode\n" + rows).encode()
    assert len(csv) > 2 * LIMIT
    upload = SimpleUploadedFile("big.csv", csv, content_type="text/csv")
    response = client.post(reverse("manage:import"), {"file": upload})
    assert response.status_code == 302
    assert ImportJob.objects.get().status == "pending"


# --- unknown fields ---------------------------------------------------------------------

INTAKE = {
    "company_name": "Havenbedrijf B.V.",
    "country": "NL",
    "postcode": "3011 AB",
    "contact_email": "jan@havenbedrijf.example",
}


def body_endpoints(world):
    """Every API operation that takes a body: (url, key, a valid body)."""
    integration = Integration.objects.create(name="CRM", kind=Integration.Kind.OTHER)
    integration_key = api_key_create(name="crm", integration=integration)[1]
    dealer_token = api_key_create(name="crm", user=world.admin)[1]
    lead = world.lead()
    return [
        (LEADS, integration_key, INTAKE),
        (
            f"/api/v1/leads/{lead.pk}/status/",
            dealer_token,
            {"status": "lost", "reason": "no_budget"},
        ),
        ("/api/v1/claims/", dealer_token, {"company_name": "Zuidas B.V.", "country": "NL"}),
    ]


def post_json(client, url, key, body):
    return client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )


def test_every_body_names_each_unknown_field_in_a_400_and_changes_nothing(client):
    world = make_world()
    for url, key, body in body_endpoints(world):
        before = list(Lead.objects.values_list("pk", "status")), Claim.objects.count()
        response = post_json(client, url, key, {**body, "colour": "red", "Company": "x"})
        assert response.status_code == 400, (url, response.content)
        assert response.json() == {"colour": ["Unknown field."], "Company": ["Unknown field."]}
        assert (list(Lead.objects.values_list("pk", "status")), Claim.objects.count()) == before
        # the same body without them is taken
        assert post_json(client, url, key, body).status_code in (200, 201), url


def test_a_large_unknown_field_is_refused_not_stored_and_ignored(client, integration_key):
    response = post_json(client, LEADS, integration_key, {**INTAKE, "notes": "x" * 900_000})
    assert response.status_code == 400
    assert response.json() == {"notes": ["Unknown field."]}
    assert Lead.objects.count() == 0


def test_unknown_fields_are_reported_with_the_other_errors_and_inside_nested_objects(
    client, integration_key
):
    body = {**INTAKE, "company_name": "", "qualification": {"need": True, "mood": "good"}, "x": 1}
    response = post_json(client, LEADS, integration_key, body)
    assert response.status_code == 400
    errors = response.json()
    assert errors["x"] == ["Unknown field."]
    assert errors["qualification"] == {"mood": ["Unknown field."]}
    assert "company_name" in errors


def test_the_schema_allows_no_other_properties_in_any_request_body(client):
    schema = client.get("/api/schema/?format=json").json()
    bodies = [
        operation["requestBody"]["content"]
        for path in schema["paths"].values()
        for operation in path.values()
        if "requestBody" in operation
    ]
    assert len(bodies) == 6
    for content in bodies:
        assert list(content) == ["application/json"]
        name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert schema["components"]["schemas"][name]["additionalProperties"] is False, name
    assert schema["components"]["schemas"]["QualificationRequest"]["additionalProperties"] is False


# --- JSON types, lengths and amounts as the schema states them ------------------------


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"company_name": 5}, {"company_name": ["Not a valid string."]}),
        ({"city": ["Rotterdam"]}, {"city": ["Not a valid string."]}),
        (
            {"qualification": {"need": 1}},
            {"qualification": {"need": ["Must be a valid boolean."]}},
        ),
        (
            {"qualification": {"need": "yes"}},
            {"qualification": {"need": ["Must be a valid boolean."]}},
        ),
        (
            {"company_name": "\x1fHaven B.V."},  # DRF would trim it away as a space
            {"company_name": ["Remove the control characters (such as a NUL byte) from the text."]},
        ),
        (
            {"city": "Rotter\x00dam"},
            {"city": ["Remove the control characters (such as a NUL byte) from the text."]},
        ),
        (
            {"company_name": " " + "x" * 199 + " "},
            {"company_name": ["Ensure this field has no more than 200 characters."]},
        ),
    ],
)
def test_a_field_takes_only_its_json_type_and_length_as_sent(
    client, integration_key, change, errors
):
    """DRF alone reads 5 as "5", 1 or "yes" as true, and counts the length after trimming:
    the schema says string, boolean and maxLength of what is sent."""
    response = post_json(client, LEADS, integration_key, {**INTAKE, **change})
    assert response.status_code == 400
    assert response.json() == errors
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (45000, "45000.00"),
        (45000.5, "45000.50"),
        (0.125, "0.13"),  # a JSON number is rounded to cents
        ("45000", "45000.00"),
        ("45000.5", "45000.50"),
        ("0", "0.00"),
        (9999999999.99, "9999999999.99"),
        (None, None),
        ("", None),
    ],
)
def test_an_amount_is_a_number_or_a_plain_decimal_string(client, integration_key, value, stored):
    response = post_json(client, LEADS, integration_key, {**INTAKE, "estimated_value": value})
    assert response.status_code == 201, response.json()
    amount = Lead.objects.get().estimated_value
    assert (str(amount) if amount is not None else None) == stored


@pytest.mark.parametrize(
    "value",
    ["4.5e4", "-1", -1, " 5", "5,00", "45000.123", "€5", " ", True, 1e10, "10000000000"],
)
def test_any_other_amount_is_a_400(client, integration_key, value):
    response = post_json(client, LEADS, integration_key, {**INTAKE, "estimated_value": value})
    assert response.status_code == 400
    assert list(response.json()) == ["estimated_value"]


def test_a_body_that_is_not_json_is_a_415(client, integration_key):
    response = client.post(LEADS, INTAKE, HTTP_AUTHORIZATION=f"Api-Key {integration_key}")
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


# --- query parameters and addresses ----------------------------------------------------


def test_paging_parameters_outside_their_range_are_a_400_not_the_default(client):
    world = make_world()
    token = api_key_create(name="crm", user=world.admin)[1]
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {token}"}
    for url, name, bad in [
        (LEADS, "page_size", ["0", "-3", "abc", "1.5"]),
        ("/api/v1/claims/", "limit", ["0", "x"]),
        ("/api/v1/claims/", "offset", ["-1", "y"]),
        ("/api/v1/claims/", "status", ["open", "ACTIVE"]),
    ]:
        for value in bad:
            response = client.get(url, {name: value}, **auth)
            assert response.status_code == 400, (url, name, value)
            assert list(response.json()) == [name]
        # empty is the same as absent; too many is the most there are
        assert client.get(url, {name: ""}, **auth).status_code == 200
    assert client.get(LEADS, {"page_size": "5000"}, **auth).status_code == 200
    assert client.get("/api/v1/claims/", {"limit": "5000"}, **auth).status_code == 200


def test_unknown_addresses_under_api_answer_json_404(client):
    client.cookies["csrftoken"] = "x" * 32  # a browser's cookie must not turn it into a 403
    for method, url in [
        ("GET", "/api/v1/leads/abc/"),
        ("POST", "/api/v1/leads/null/status/"),
        ("GET", "/api/v2/"),
    ]:
        response = client.generic(method, url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found."}


# --- the schema lists every answer -----------------------------------------------------


def test_every_operation_documents_every_answer_it_can_give(client):
    schema = client.get("/api/schema/?format=json").json()
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    field_errors = {"application/json": {"schema": {"$ref": "#/components/schemas/FieldErrors"}}}
    operations = {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert len(operations) == 10
    for name, operation in operations.items():
        responses = operation["responses"]
        places = {parameter["in"] for parameter in operation.get("parameters", [])}
        for code in ("401", "403", "413", "429"):
            assert responses[code]["content"] == error, (name, code)
        assert "414" in responses, name
        assert "Retry-After" in responses["429"]["headers"], name
        if "requestBody" in operation:
            assert responses["415"]["content"] == error, name
        if "requestBody" in operation or "query" in places:
            assert responses["400"]["content"] == field_errors, name
        if "path" in places:
            assert responses["404"]["content"] == error, name
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                assert parameter["allowEmptyValue"] is True, (name, parameter["name"])
    assert "Invalid cursor" in operations["GET /api/v1/leads/"]["responses"]["404"]["description"]
    assert "409" in operations["POST /api/v1/claims/"]["responses"]
    assert "409" in operations["POST /api/v1/leads/{id}/status/"]["responses"]
