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
    assert len(bodies) == 3
    for content in bodies:
        assert list(content) == ["application/json"]
        name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert schema["components"]["schemas"][name]["additionalProperties"] is False, name
    assert schema["components"]["schemas"]["QualificationRequest"]["additionalProperties"] is False
