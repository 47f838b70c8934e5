"""The lead filters of the inbox, "My leads" and the dealer API at the edges of their
input: digits of other scripts in the search, date-times PostgreSQL cannot store, NUL
characters and over-long values are a form error (the page) or a 400 naming the
parameter (the API), never a 500."""

import base64
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from leads.services.api_keys import api_key_create
from tests.leads.pipeline_world import make_world

pytestmark = pytest.mark.django_db
LIST = "/api/v1/leads/"


@pytest.fixture
def world():
    return make_world()


def api_get(client, user, params):
    _key, secret = api_key_create(name="crm", user=user)
    return client.get(LIST, params, HTTP_AUTHORIZATION=f"Api-Key {secret}")


def inbox_names(response) -> set[str]:
    return {row.record.company_name for row in response.context["table"].page.object_list}


@pytest.mark.parametrize("text", ["²", "#²", "¹²³", "#١٢", "٣"])
def test_the_inbox_searches_digits_of_other_scripts_as_text(client, world, text):
    lead = world.lead(company_name="Cijfers B.V.")
    client.force_login(world.user)
    response = client.get(reverse("leads:inbox"), {"q": text})
    assert response.status_code == 200
    assert inbox_names(response) == set()
    assert inbox_names(client.get(reverse("leads:inbox"), {"q": f"#{lead.pk}"})) == {
        lead.company_name
    }


@pytest.mark.parametrize("text", ["²", "#²", "¹²³", "#١٢"])
def test_the_api_searches_digits_of_other_scripts_as_text(client, world, text):
    lead = world.lead()
    response = api_get(client, world.user, {"q": text})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
    found = api_get(client, world.user, {"q": f"#{lead.pk}"}).json()["results"]
    assert [item["id"] for item in found] == [lead.pk]


@pytest.mark.parametrize(
    "moment",
    [
        "2026-01-01T00:00:00+16:00",  # PostgreSQL takes offsets up to ±15:59
        "2026-01-01T00:00:00-23:59",
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        "0001-01-01T00:00:00",  # naive, in Amsterdam's time: before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    ],
)
def test_updated_after_outside_what_the_database_stores_is_a_400(client, world, moment):
    world.lead()
    response = api_get(client, world.user, {"updated_after": moment})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["updated_after"]


@pytest.mark.parametrize(
    "moment", ["2026-01-01T00:00:00+15:59", "0001-01-02T00:00:00Z", "9999-12-30T00:00:00-15:00"]
)
def test_updated_after_at_the_edges_of_the_range_is_answered(client, world, moment):
    world.lead()
    response = api_get(client, world.user, {"updated_after": moment})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "Cijfers\x00"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"status": "new\x00"}, "status"),
        ({"updated_after": "2026-01-01\x00T00:00:00"}, "updated_after"),
    ],
)
def test_nul_characters_and_over_long_values_are_a_400_naming_the_parameter(
    client, world, params, field
):
    response = api_get(client, world.user, params)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


@pytest.mark.parametrize("text", ["Cijfers\x00", "x" * 201])
def test_the_inbox_shows_an_unusable_search_as_a_form_error(client, world, text):
    world.lead(company_name="Cijfers B.V.")
    client.force_login(world.user)
    response = client.get(reverse("leads:inbox"), {"q": text})
    assert response.status_code == 200
    assert response.context["filter"].errors["q"]
    assert 'class="invalid-feedback' in response.content.decode()


@pytest.mark.parametrize("page", ["9" * 30, str(2**63 // 25), "-1", "١٢"])
def test_a_page_number_beyond_any_offset_shows_the_first_page(client, world, page):
    lead = world.lead()
    client.force_login(world.user)
    response = client.get(reverse("leads:inbox"), {"page": page})
    assert response.status_code == 200
    assert inbox_names(response) == {lead.company_name}


def cursor(**tokens) -> str:
    """A cursor as DRF's cursor paginator writes it: base64 of a query string."""
    return base64.b64encode(urlencode(tokens).encode()).decode()


@pytest.mark.parametrize(
    "value",
    [
        cursor(p="yesterday"),
        cursor(p="2026-01-01 00:00:00+16:00"),
        cursor(p="0001-01-01 00:00:00+01:00"),
        cursor(p="x\x00"),
        cursor(o="x"),
        "not base64 at all",
    ],
)
def test_a_forged_cursor_is_a_404_invalid_cursor(client, world, value):
    """Not a 500; and not a 400 either, which the contract check would count as a valid
    request refused (any string is a cursor as far as the schema can tell)."""
    world.lead()
    response = api_get(client, world.user, {"cursor": value})
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Invalid cursor"}


def test_the_cursors_the_api_hands_out_still_work(client, world):
    leads = [world.lead() for _ in range(3)]
    first = api_get(client, world.user, {"page_size": 2}).json()
    assert len(first["results"]) == 2
    _key, secret = api_key_create(name="crm", user=world.user)
    rest = client.get(first["next"], HTTP_AUTHORIZATION=f"Api-Key {secret}").json()
    seen = [item["id"] for item in first["results"] + rest["results"]]
    assert sorted(seen) == sorted(lead.pk for lead in leads)
