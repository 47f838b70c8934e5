"""The dealer API: personal tokens read their own dealer's leads and move them
through the pipeline; the owner / colleague / other-dealer matrix for each endpoint."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from leads.api.views import STORABLE_DATE_TIME
from leads.filters import SEARCH_MAX_LENGTH, ApiLeadFilter
from leads.models import Integration, Lead, LeadEvent
from leads.services import pipeline
from leads.services.api_keys import api_key_create, api_key_revoke
from portal.api import trimmed_text_pattern
from portal.users.models import Role
from tests.factories import StaffFactory
from tests.leads.pipeline_world import make_world

pytestmark = pytest.mark.django_db
LIST = "/api/v1/leads/"
TOMORROW = (timezone.localdate() + timedelta(days=1)).isoformat()


@pytest.fixture
def world():
    return make_world()


class Api:
    def __init__(self, client, key):
        self.client, self.key = client, key

    def _auth(self):
        return {"HTTP_AUTHORIZATION": f"Api-Key {self.key}"} if self.key else {}

    def get(self, url, params=None):
        return self.client.get(url, params or {}, **self._auth())

    def post(self, url, payload):
        return self.client.post(url, payload, content_type="application/json", **self._auth())

    def put(self, url, payload):
        return self.client.put(url, payload, content_type="application/json", **self._auth())


def token_for(client, user) -> Api:
    _key, secret = api_key_create(name="crm", user=user)
    return Api(client, secret)


def detail(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/"


def status_url(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/status/"


# --- the matrix ---------------------------------------------------------------------------


def test_list_shows_only_the_own_dealers_leads(client, world):
    mine = [world.lead() for _ in range(3)]
    world.lead(postcode="3111 AA")  # the competitor's
    response = token_for(client, world.user).get(LIST)
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(item["id"] for item in body["results"]) == sorted(lead.pk for lead in mine)
    assert body["results"][0]["routing_reason"].startswith("Territory NL Rijnmond")
    assert body["results"][0]["url"].endswith(f"/leads/{body['results'][0]['id']}/")
    assert set(body) >= {"next", "previous", "results"}
    assert "count" not in body  # cursor pagination: no COUNT


def test_list_runs_a_constant_number_of_queries(client, world):
    world.lead()
    api = token_for(client, world.user)
    api.get(LIST)
    with CaptureQueriesContext(connection) as few:
        api.get(LIST)
    for _ in range(8):
        world.lead()
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(LIST).json()["results"]) == 9
    assert len(many) == len(few) <= 6, [q["sql"] for q in many.captured_queries]


def test_list_is_cursor_paginated(client, world):
    leads = [world.lead() for _ in range(5)]
    api = token_for(client, world.user)
    first = api.get(LIST, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"], HTTP_AUTHORIZATION=api._auth()["HTTP_AUTHORIZATION"]).json()
    third = client.get(second["next"], HTTP_AUTHORIZATION=api._auth()["HTTP_AUTHORIZATION"]).json()
    seen = [item["id"] for page in (first, second, third) for item in page["results"]]
    assert sorted(seen) == sorted(lead.pk for lead in leads)
    assert third["next"] is None


def test_list_filters(client, world):
    hot = world.lead(interest="demo")
    warm = world.lead(interest="content")
    pipeline.lead_accept(
        lead=warm, actor=world.user, next_step="Call", next_step_on=timezone.localdate()
    )
    api = token_for(client, world.user)

    def ids(params):
        response = api.get(LIST, params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["results"]}

    assert ids({"temperature": "hot"}) == {hot.pk}
    assert ids({"status": "accepted"}) == {warm.pk}
    assert ids({"status": "open"}) == {hot.pk, warm.pk}
    assert ids({"q": hot.company_name}) == {hot.pk}
    warm.refresh_from_db()
    since = (warm.updated_at - timedelta(seconds=1)).isoformat()
    assert warm.pk in ids({"updated_after": since})
    assert api.get(LIST, {"status": "bogus"}).status_code == 400
    assert api.get(LIST, {"updated_after": "yesterday"}).status_code == 400


def test_detail_matrix(client, world):
    lead = world.lead()
    assert token_for(client, world.user).get(detail(lead)).status_code == 200
    assert token_for(client, world.outsider).get(detail(lead)).status_code == 404
    assert token_for(client, world.outsider).get("/api/v1/leads/999999/").status_code == 404
    assert token_for(client, world.user).post(detail(lead), {}).status_code == 405


def test_status_matrix(client, world):
    lead = world.lead()
    pipeline.lead_hand_over_to_colleague(lead=lead, actor=world.admin, colleague=world.colleague)
    payload = {"status": "accepted", "next_step": "Call", "next_step_on": TOMORROW}
    assert token_for(client, world.outsider).post(status_url(lead), payload).status_code == 404
    assert token_for(client, world.user).post(status_url(lead), payload).status_code == 403
    assert token_for(client, world.colleague).get(status_url(lead)).status_code == 405
    response = token_for(client, world.colleague).post(status_url(lead), payload)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert response.json()["handled_by"] == world.colleague.name


def test_integration_keys_and_strangers_cannot_read(client, world):
    world.lead()
    integration = Integration.objects.create(name="Website", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="site", integration=integration)
    assert Api(client, secret).get(LIST).status_code == 403
    assert Api(client, None).get(LIST).status_code in (401, 403)
    assert Api(client, "dp_nope.nope").get(LIST).status_code == 401
    # a personal token cannot post leads into intake
    assert token_for(client, world.user).post(LIST, {"company_name": "x"}).status_code == 403
    assert token_for(client, world.user).put(LIST, {}).status_code == 405


def test_a_revoked_token_stops_working(client, world):
    key, secret = api_key_create(name="crm", user=world.user)
    assert Api(client, secret).get(LIST).status_code == 200
    api_key_revoke(api_key=key)
    assert Api(client, secret).get(LIST).status_code == 401


def test_internal_reps_see_their_own_leads_only(client, world):
    world.lead()
    rep = StaffFactory(role=Role.INTERNAL_SALES).user
    assert token_for(client, rep).get(LIST).json()["results"] == []


# --- moving a lead ------------------------------------------------------------------------


def test_the_pipeline_over_the_api(client, world):
    lead = world.lead()
    api = token_for(client, world.user)
    steps = [
        {"status": "accepted", "next_step": "Call", "next_step_on": TOMORROW},
        {"status": "contacted"},
        {"status": "meeting", "next_step": "Demo at their site", "next_step_on": TOMORROW},
        {"status": "won", "won_value": "52000"},
    ]
    for step in steps:
        response = api.post(status_url(lead), step)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == step["status"]
    body = response.json()
    assert body["won_value"] == "52000.00"
    assert body["closed_at"] is not None
    assert body["next_step"] == "Demo at their site"
    moves = list(lead.events.filter(kind=LeadEvent.Kind.STATUS).values_list("data__to", flat=True))
    assert moves == ["contacted", "meeting", "won"]


def test_bad_input_is_a_400_with_field_errors(client, world):
    lead = world.lead()
    api = token_for(client, world.user)
    response = api.post(status_url(lead), {"status": "accepted"})
    assert response.status_code == 400
    assert set(response.json()) == {"next_step", "next_step_on"}
    assert api.post(status_url(lead), {"status": "flying"}).status_code == 400
    response = api.post(status_url(lead), {"status": "rejected", "reason": "other"})
    assert response.status_code == 400 and "note" in response.json()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW


def test_an_illegal_move_is_a_409_with_the_reason(client, world):
    lead = world.lead()
    response = token_for(client, world.user).post(status_url(lead), {"status": "proposal"})
    assert response.status_code == 409
    assert "Accept the lead first" in response.json()["status"][0]


def test_rejecting_over_the_api_gives_the_lead_away(client, world):
    lead = world.lead()
    api = token_for(client, world.user)
    response = api.post(status_url(lead), {"status": "rejected", "reason": "not_a_lead"})
    assert response.status_code == 200
    assert response.json() == {
        "id": lead.pk,
        "status": "rejected",
        "detail": "The lead went to another owner; it is no longer yours.",
    }
    assert api.get(detail(lead)).status_code == 404
    assert lead.pk not in {item["id"] for item in api.get(LIST).json()["results"]}


def test_the_dealer_endpoints_are_in_the_schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    for operation in ("leads_list", "leads_create", "leads_retrieve", "leads_status"):
        assert f"operationId: {operation}" in schema


# --- what the schema says about the filters is what they take ------------------------

rfc3339 = st.builds(
    "{}T{:02d}:{:02d}:{:02d}{}{}".format,
    st.dates().map(str),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["", ".5", ".123456"]),
    st.one_of(
        st.just("Z"),
        st.builds(
            "{}{:02d}:{:02d}".format, st.sampled_from("+-"), st.integers(0, 23), st.integers(0, 59)
        ),
    ),
)


@settings(max_examples=500, deadline=None)
@given(moment=rfc3339)
def test_every_updated_after_of_the_published_pattern_is_taken(moment):
    """The schema's pattern for ``updated_after`` (RFC 3339, offsets within ±15:59) only
    admits moments the filter takes; offsets beyond are refused by both."""
    taken = ApiLeadFilter({"updated_after": moment}, queryset=Lead.objects.none()).is_valid()
    if re.search(STORABLE_DATE_TIME, moment):
        assert taken, moment
    if int(moment[-5:-3] if moment[-1] != "Z" else 0) >= 16:
        assert not taken and not re.search(STORABLE_DATE_TIME, moment), moment


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=210) | st.text(alphabet=" \t\nx\x00", max_size=210))
def test_the_search_takes_exactly_what_its_pattern_allows(text):
    taken = ApiLeadFilter({"q": text}, queryset=Lead.objects.none()).is_valid()
    assert bool(re.search(trimmed_text_pattern(SEARCH_MAX_LENGTH), text)) == taken, repr(text)
