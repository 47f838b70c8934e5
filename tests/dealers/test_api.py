"""Claims over the API with a personal token (or a session): owner / colleague / other
dealer, validation, conflicts without names, and the OpenAPI schema."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from dealers import services
from dealers.models import Claim
from leads.models import Integration
from leads.services.api_keys import api_key_create
from tests.dealers.conftest import company

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    _key, secret = api_key_create(name="CRM sync", user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def claim_of(side, name="Havenbedrijf Techniek B.V.", **fields) -> Claim:
    return services.claim_submit(
        dealer=side.dealer, submitted_by=side.admin, data=company(name, **fields)
    )


def test_a_personal_token_lists_the_dealers_claims_only(world):
    mine = claim_of(world.mine, "Mine B.V.")
    claim_of(world.theirs, "Theirs B.V.")

    response = token_client(world.mine.user).get(reverse("api-claims"))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["results"]
    assert item["id"] == mine.pk
    assert item["company_name"] == "Mine B.V."
    assert item["status"] == "approved"
    assert item["country"] == "NL"
    assert item["can_renew"] is True
    assert item["conflicts"] == []


def test_listing_filters_by_status_with_constant_queries(world):
    client = token_client(world.mine.user)
    claim_of(world.mine, "First B.V.")
    client.get(reverse("api-claims"))  # the key's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("api-claims"), {"status": "active"})
    for n in range(5):
        claim_of(world.mine, f"More {n} B.V.")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("api-claims"), {"status": "active"})
    assert response.json()["count"] == 6
    assert len(many) == len(few)
    assert client.get(reverse("api-claims"), {"status": "pending"}).json()["count"] == 0


def test_detail_for_owner_colleague_and_other_dealer(world):
    claim = claim_of(world.mine)
    url = reverse("api-claim", args=[claim.pk])

    assert token_client(world.mine.admin).get(url).status_code == 200
    assert token_client(world.mine.user).get(url).json()["id"] == claim.pk
    other = token_client(world.theirs.user)
    theirs, missing = other.get(url), other.get(reverse("api-claim", args=[10**9]))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert token_client(world.mine.user).delete(url).status_code == 405


def test_registering_a_claim_over_the_api(world):
    response = token_client(world.mine.user).post(
        reverse("api-claims"),
        company(vat_number="NL004495445B01", expected_value="25000.00"),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "approved"
    assert body["vat_number"] == "NL004495445B01"
    assert body["expires_at"]
    claim = Claim.objects.get(pk=body["id"])
    assert (claim.dealer, claim.submitted_by) == (world.mine.dealer, world.mine.user)


def test_a_conflict_is_explained_without_naming_the_other_dealer(world):
    theirs = claim_of(world.theirs)

    response = token_client(world.mine.user).post(reverse("api-claims"), company(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["conflicts"] == [
        {
            "kind": "claim",
            "message": "This company already has an active claim by another dealer.",
        }
    ]
    assert world.theirs.dealer.name not in response.content.decode()
    assert f'"claim_id": {theirs.pk}' not in response.content.decode()


def test_bad_input_is_a_400_with_field_errors(world):
    client = token_client(world.mine.user)

    response = client.post(
        reverse("api-claims"),
        {"company_name": "X", "country": "NL", "vat_number": "NL123", "postcode": "0000"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"vat_number", "postcode"}


def test_a_second_claim_on_the_same_company_is_a_409(world):
    """The request is fine; the dealer's existing claim stands in the way."""
    client = token_client(world.mine.user)
    claim_of(world.mine)
    duplicate = client.post(reverse("api-claims"), company(), format="json")
    assert duplicate.status_code == 409
    assert "already have a claim" in duplicate.json()["non_field_errors"][0]
    assert Claim.objects.count() == 1


def test_integration_keys_and_staff_cannot_register_claims(world):
    _key, secret = api_key_create(
        name="Web form", integration=Integration.objects.create(name="Site", kind="web_form")
    )
    integration = APIClient()
    integration.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert integration.get(reverse("api-claims")).status_code == 403
    assert integration.post(reverse("api-claims"), company(), format="json").status_code == 403

    staff = token_client(world.channel_manager)
    assert staff.post(reverse("api-claims"), company(), format="json").status_code == 403
    assert not Claim.objects.exists()


def test_a_session_works_too_and_anonymous_does_not(client, world):
    claim_of(world.mine)
    assert client.get(reverse("api-claims")).status_code in (401, 403)
    client.force_login(world.mine.user)
    assert client.get(reverse("api-claims")).json()["count"] == 1


def test_the_claims_endpoints_are_in_the_openapi_schema(client, world):
    client.force_login(world.channel_manager)
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/claims/"]) >= {"get", "post"}
    assert "get" in paths["/api/v1/claims/{id}/"]
