"""POST /api/v1/leads/: routed at once, idempotent, clear 400s."""

import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from leads.models import (
    Assignment,
    DuplicateSubmission,
    Integration,
    Lead,
    LeadEvent,
    LeadGroupObjectPermission,
    Policy,
)
from leads.services.api_keys import api_key_create, api_key_revoke
from portal.users.models import Notification, Role
from tests.factories import (
    AccountFactory,
    DealerFactory,
    DealerMemberFactory,
    InstalledProductFactory,
    StaffFactory,
    territory_with,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/leads/"


@pytest.fixture
def world():
    rotterdam_a = DealerFactory(name="Rijnmond Techniek")
    rotterdam_b = DealerFactory(name="Maasstad Machines")
    DealerMemberFactory(dealer=rotterdam_a, user__email="jan@rijnmond.example")
    territory_with(
        name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(rotterdam_a, 1), (rotterdam_b, 1)]
    )
    return {"a": rotterdam_a, "b": rotterdam_b}


@pytest.fixture
def api(client):
    integration = Integration.objects.create(name="Website", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="site", integration=integration)

    def post(payload, key=secret):
        return client.post(
            URL, payload, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {key}"
        )

    return post


PAYLOAD = {
    "external_id": "form-1",
    "company_name": "Havenbedrijf Techniek B.V.",
    "country": "NL",
    "postcode": "3011 AB",
    "city": "Rotterdam",
    "contact_name": "Jan de Vries",
    "contact_email": "jan@havenbedrijf.example",
    "interest": "demo",
    "estimated_value": "45000",
}


def test_a_lead_is_routed_at_once_with_its_reason(world, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(PAYLOAD)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "new"
    assert body["owner"]["kind"] == "dealer"
    assert body["owner"]["name"] in ("Rijnmond Techniek", "Maasstad Machines")
    assert body["rule"] == "territory"
    assert "Territory NL Rijnmond (postcode 3011 AB)" in body["reason"]
    assert body["qualification"]["sales_ready"] is True
    assert body["deadlines"]["first_update_due_at"] is not None
    assert body["deadlines"]["recycle_due_at"] is not None
    lead = Lead.objects.get(pk=body["id"])
    assert lead.temperature == "hot"
    event = lead.events.get(kind="created")
    assert event.to_owner["name"] == body["owner"]["name"]
    assert event.data == {"rule": "territory", "source": "web_form", "external_id": "form-1"}
    assert Assignment.objects.filter(lead=lead, ended_at__isnull=True).count() == 1
    assert LeadGroupObjectPermission.objects.filter(content_object=lead).count() == 2


def test_the_owner_is_notified_in_app_and_by_email(world, api, django_capture_on_commit_callbacks):
    payload = {**PAYLOAD, "postcode": "3011"}
    with django_capture_on_commit_callbacks(execute=True):
        body = api(payload).json()
    if body["owner"]["name"] != "Rijnmond Techniek":
        with django_capture_on_commit_callbacks(execute=True):
            body = api(
                {
                    **payload,
                    "external_id": "form-2",
                    "company_name": "Other B.V.",
                    "contact_email": "x@other.example",
                }
            ).json()
    assert body["owner"]["name"] == "Rijnmond Techniek"
    notification = Notification.objects.get(
        recipient__email="jan@rijnmond.example",
        lead_id=body["id"],
        subject__msgid__startswith="New lead",
    )
    assert notification.emailed_at is not None
    email = next(m for m in mail.outbox if "New lead" in m.subject)
    assert f"/leads/{body['id']}/" in email.body
    assert "first update by" in email.body


def test_the_same_external_id_returns_the_existing_lead(world, api):
    first = api(PAYLOAD)
    again = api(PAYLOAD)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Lead.objects.count() == 1


def test_a_known_external_id_wins_over_an_older_open_lead_of_the_same_company(world, api):
    """One query answers both "seen this submission before?" and "is there an open lead
    of this company?": the submission's own lead must come back, not the older one."""
    policy = Policy.current()
    policy.duplicate_window_days = 0
    policy.save()
    older = api(PAYLOAD).json()
    newer = api({**PAYLOAD, "external_id": "form-2", "contact_email": "piet@havenbedrijf.example"})
    assert newer.status_code == 201, newer.json()
    policy.duplicate_window_days = 30
    policy.save()
    again = api({**PAYLOAD, "external_id": "form-2", "contact_email": "piet@havenbedrijf.example"})
    assert again.status_code == 200
    assert again.json()["id"] == newer.json()["id"] != older["id"]
    assert again.json().get("duplicate") is not True
    assert Lead.objects.count() == 2


def test_a_repeat_contact_within_the_window_is_attached_not_routed_twice(world, api):
    first = api(PAYLOAD).json()
    second = api({**PAYLOAD, "external_id": "form-9", "message": "Any news?"})
    assert second.status_code == 200
    assert second.json()["id"] == first["id"]
    assert second.json()["duplicate"] is True
    assert Lead.objects.count() == 1
    event = LeadEvent.objects.get(lead_id=first["id"], kind="duplicate")
    # the person's details are on an erasable row, not in the immutable event
    assert DuplicateSubmission.objects.get(pk=event.data["submission"]).message == "Any news?"
    assert "message" not in event.data
    # the same duplicate posted again is recorded once
    api({**PAYLOAD, "external_id": "form-9", "message": "Any news?"})
    assert LeadEvent.objects.filter(lead_id=first["id"], kind="duplicate").count() == 1


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"country": "XX"}, "country", "ISO 3166 country code in capitals"),
        ({"country": "nl"}, "country", "ISO 3166 country code in capitals"),
        ({"postcode": "301"}, "postcode", "not a valid Dutch postcode"),
        ({"country": "DE", "postcode": "1234"}, "postcode", "not a valid German postcode"),
        ({"vat_number": "NL123"}, "vat_number", "not a valid VAT number"),
        ({"company_name": ""}, "company_name", ""),
        ({"contact_email": "", "contact_phone": ""}, "contact_email", "e-mail address or phone"),
        ({"estimated_value": "-5"}, "estimated_value", ""),
        ({"sector": "space"}, "sector", ""),
    ],
)
def test_invalid_input_gets_a_400_with_field_errors(world, api, change, field, text):
    response = api({**PAYLOAD, **change})
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert text in " ".join(errors[field])
    assert Lead.objects.count() == 0


def test_a_lead_without_postcode_routes_by_country_and_says_so(world, api):
    dealer = DealerFactory(name="Holland Generalist")
    territory_with(name="NL whole country", owners=[(dealer, 1)])
    body = api({**PAYLOAD, "postcode": ""}).json()
    assert body["owner"]["name"] == "Holland Generalist"
    assert "postcode" in body["reason"].lower()


def test_an_existing_customer_goes_to_its_account_manager(world, api):
    eva = StaffFactory(
        role=Role.INTERNAL_SALES, is_account_manager=True, user__name="Eva Visser"
    ).user
    account = AccountFactory(legal_name="Havenbedrijf Techniek B.V.", account_manager=eva)
    InstalledProductFactory(account=account, product="Machine A", installed_on=date(2025, 2, 28))
    body = api(PAYLOAD).json()
    assert body["rule"] == "installed_base"
    assert body["owner"] == {"kind": "user", "id": str(eva.pk), "name": "Eva Visser"}
    assert "existing customer (Machine A, 2025); account manager: Eva Visser" in body["reason"]
    assert Lead.objects.get(pk=body["id"]).account == account


def test_not_sales_ready_goes_to_nurture(world, api):
    body = api({**PAYLOAD, "qualification": {"purchase_6m": False, "need": True}}).json()
    assert body["owner"] == {"kind": "queue", "id": "nurture", "name": "Marketing nurture"}
    assert body["status"] == "nurture"
    assert body["qualification"] == {
        "sales_ready": False,
        "answers": {"purchase_6m": False, "need": True},
        "missing": ["purchase_6m"],
    }


def test_without_a_key_or_with_a_wrong_key_nothing_is_created(client, world):
    assert client.post(URL, PAYLOAD, content_type="application/json").status_code in (401, 403)
    response = client.post(
        URL, PAYLOAD, content_type="application/json", HTTP_AUTHORIZATION="Api-Key dp_nope.nope"
    )
    assert response.status_code == 401
    assert Lead.objects.count() == 0


def test_a_revoked_key_or_inactive_integration_is_refused(world, api):
    Integration.objects.update(is_active=False)
    assert api(PAYLOAD).status_code == 401


def test_a_key_in_use_stops_working_when_revoked_or_its_integration_is_switched_off(client, world):
    """Keys are cached per process: revoking one or switching its integration off (as
    the admin does) must still take effect on the next request."""
    integration = Integration.objects.create(name="CRM", kind=Integration.Kind.OTHER)
    key, secret = api_key_create(name="crm", integration=integration)
    post = lambda payload: client.post(  # noqa: E731
        URL, payload, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {secret}"
    )
    assert post({**PAYLOAD, "external_id": "a-1"}).status_code == 201
    integration.is_active = False
    integration.save()
    assert post({**PAYLOAD, "external_id": "a-2"}).status_code == 401
    integration.is_active = True
    integration.save()
    assert post({**PAYLOAD, "external_id": "a-3"}).status_code in (200, 201)
    api_key_revoke(api_key=key)
    assert post({**PAYLOAD, "external_id": "a-4"}).status_code == 401
    assert not Lead.objects.filter(external_id__in=["a-2", "a-4"]).exists()


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/leads/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_rejected_before_dealer_is_excluded_when_routed_again(world, api):
    from leads.services.routing import lead_route

    body = api(PAYLOAD).json()
    lead = Lead.objects.get(pk=body["id"])
    first_owner = lead.owner_dealer
    outcome = lead_route(
        lead=lead,
        end_reason=Assignment.EndReason.REJECTED,
        now=timezone.now() + timedelta(minutes=1),
    )
    lead.refresh_from_db()
    assert lead.owner_dealer is not None and lead.owner_dealer != first_owner
    assert outcome.rule == "territory"
    notes = [
        c["note"]["msgid"]
        for c in lead.routing_candidates
        if c["owner"]["name"] == first_owner.name
    ]
    assert any("rejected or lost" in n for n in notes), lead.routing_candidates
    # permissions moved with the lead
    assert not LeadGroupObjectPermission.objects.filter(
        content_object=lead, group=first_owner.group
    ).exists()
    assert (
        LeadGroupObjectPermission.objects.filter(
            content_object=lead, group=lead.owner_dealer.group
        ).count()
        == 2
    )


def test_the_intake_rate_is_counted_per_key(client, world, api, monkeypatch):
    """Integration callers have no user id: DRF's scoped throttle put every integration
    in one bucket, so one busy form could use up the rate of all the others."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**SimpleRateThrottle.THROTTLE_RATES, "intake": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    other = Integration.objects.create(name="Marketing", kind=Integration.Kind.MARKETING)
    other_key = api_key_create(name="automation", integration=other)[1]
    with time_machine.travel(datetime(2026, 12, 4, 21, 0, tzinfo=UTC), tick=False):
        assert [api(PAYLOAD).status_code for _ in range(3)] == [201, 200, 429]
        assert api(PAYLOAD, key=other_key).status_code == 200


def test_a_register_number_too_long_to_store_is_a_400_not_a_500(world, api):
    """The API takes 40 characters (labels and separators are compacted away); what is
    left of 'A' * 40 in France did not fit the 30-character column."""
    response = api({**PAYLOAD, "country": "FR", "postcode": "75001", "coc_number": "A" * 40})
    assert response.status_code == 400
    assert "longer than 30 characters" in response.json()["coc_number"][0]
    assert Lead.objects.count() == 0


BODIES = [
    PAYLOAD,
    {**PAYLOAD, "qualification": {"need": True, "talk_2w": False}, "estimated_value": 12.5},
    {**PAYLOAD, "postcode": "9999", "contact_email": "", "colour": "red"},
    {**PAYLOAD, "company_name": 5, "qualification": {"need": "yes", "size": 3}},
    {},
    [PAYLOAD],
    None,
    "text",
]


@pytest.mark.parametrize("data", BODIES)
def test_the_threads_intake_reader_reads_as_a_new_serializer(world, data):
    """The view reads each body with one reader per thread: the same fields or the same
    errors as a serializer made for the body, whatever the bodies before it were."""
    from rest_framework.exceptions import ValidationError

    from leads.api.serializers import LeadIntakeSerializer
    from leads.api.views import read_intake

    fresh = LeadIntakeSerializer(data=data)
    expected = (
        fresh.validated_data
        if fresh.is_valid()
        else ValidationError(fresh.errors).detail  # what is_valid(raise_exception) raises
    )
    for _round in range(2):  # (the second time the reader has read every body before)
        for body in BODIES:
            with contextlib.suppress(ValidationError):
                read_intake(body)
        try:
            got = read_intake(data)
        except ValidationError as error:
            got = error.detail
        assert got == expected


def test_the_threads_intake_writer_answers_as_a_new_serializer(world, api):
    """The answer is written by one writer per thread: the same body as a serializer
    made for the lead, with each request's own context and none kept afterwards."""
    from leads.api.serializers import LeadIntakeResponseSerializer
    from leads.api.views import _intake_serializers, write_intake_answer

    first = api(PAYLOAD).json()
    lead = Lead.objects.get(pk=first["id"])
    for duplicate in (True, False):
        expected = LeadIntakeResponseSerializer(lead, context={"duplicate": duplicate}).data
        assert write_intake_answer(lead, duplicate=duplicate, outcome=None) == expected
        assert _intake_serializers.writer._context == {}


@pytest.mark.parametrize("rate", ["3/min", "1/s", "0/min"])
def test_the_intake_throttle_counts_in_redis_as_drf_counts_in_its_cache(rate):
    """The intake's throttle keeps its history in Redis (one round trip a request): the
    same requests are let through and refused, with the same ``Retry-After``, as by DRF's
    own throttle over a cache holding the whole history."""
    import uuid

    from django.core.cache import cache
    from django.core.cache.backends.locmem import LocMemCache
    from rest_framework.throttling import SimpleRateThrottle

    from leads.api.views import RedisSlidingLog

    if not hasattr(cache, "sliding_log"):
        pytest.skip("the cache is not Redis (REDIS_URL)")
    clock = [1_000_000.0]
    key = f"throttle-test-{uuid.uuid4().hex}"

    class Drfs(SimpleRateThrottle):
        cache = LocMemCache(key, {})
        timer = lambda self: clock[0]  # noqa: E731
        get_cache_key = lambda self, request, view: key  # noqa: E731

    class Ours(RedisSlidingLog):
        timer = Drfs.timer
        get_cache_key = Drfs.get_cache_key

    Drfs.rate = Ours.rate = rate
    steps = [0, 0, 1, 2, 2.5, 30, 59.999, 60, 60, 61, 62.0001, 119, 120.5, 121, 300, 300, 300.25]
    seen = {Drfs: [], Ours: []}
    for moment in steps:
        clock[0] = 1_000_000.0 + moment
        for throttle_class in (Drfs, Ours):
            throttle = throttle_class()
            allowed = throttle.allow_request(None, None)
            seen[throttle_class].append((moment, allowed, None if allowed else throttle.wait()))
    assert seen[Ours] == seen[Drfs]
    assert {allowed for _m, allowed, _w in seen[Ours]} == (
        {False} if rate == "0/min" else {True, False}
    )
    cache.delete(f"{key}:log")


def test_the_answer_is_written_as_drfs_fields_would_write_it(world, api):
    """``LeadIntakeResponseSerializer`` writes its fields directly: the same body as
    DRF's field-by-field writing, for a routed lead, a repeat and a nurture lead."""
    from rest_framework import serializers

    from leads.api.serializers import LeadIntakeResponseSerializer

    routed = api(PAYLOAD).json()
    nurture = api({**PAYLOAD, "external_id": "n-1", "company_name": "Kwekerij Zon B.V.",
                   "contact_email": "zon@kwekerij.example",
                   "qualification": {"need": False}}).json()  # fmt: skip
    for pk in (routed["id"], nurture["id"]):
        lead = Lead.objects.get(pk=pk)
        for context in ({"duplicate": True}, {"duplicate": False}):
            writer = LeadIntakeResponseSerializer(lead, context=context)
            drf = serializers.Serializer.to_representation(writer, lead)
            assert writer.data == drf
