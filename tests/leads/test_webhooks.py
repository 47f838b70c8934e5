"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: signed bodies, retries
after an error and a timeout, a dealer hears of its own leads only, order per lead,
nothing lost when the sending worker is killed, the endpoint switched off after a day
of failures, and "send again" from the log."""

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from dealers.services import claim_approve, claim_submit
from leads.models import Lead, Policy, WebhookDelivery, WebhookEndpoint, WebhookEvent
from leads.services import pipeline, webhooks
from leads.services.reassign import leads_reassign
from leads.services.sla import sla_sweep
from portal.users.models import Notification, Role
from tests.factories import StaffFactory
from tests.leads.pipeline_world import make_world

pytestmark = pytest.mark.django_db

LOCAL = override_settings(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE_NETWORKS=True)
ALL = list(WebhookEvent.values)


def verify(secret: str, headers, body: bytes, *, tolerance: int = 300) -> dict:
    """The README's verification snippet, as a receiver would run it."""
    timestamp = headers["X-Portal-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    signature = headers["X-Portal-Signature"].removeprefix("sha256=")
    if not hmac.compare_digest(expected.hexdigest(), signature):
        raise ValueError("bad signature")
    if abs(time.time() - int(timestamp)) > tolerance:
        raise ValueError("too old")
    return json.loads(body)


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers from a script
    (status codes, or ``("sleep", seconds)``); 200 when the script runs out."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.script: list = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                receiver.arrived.set()
                step = receiver.script.pop(0) if receiver.script else 200
                if isinstance(step, tuple):
                    time.sleep(step[1])
                    step = 200
                try:
                    self.send_response(step)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _headers, body in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    with LOCAL:
        yield server
    server.close()


@pytest.fixture
def world():
    return make_world()


def endpoint(actor, dealer, url, events=ALL) -> WebhookEndpoint:
    return webhooks.endpoint_create(actor=actor, dealer=dealer, url=url, events=events)


def test_a_dealer_hears_of_its_new_lead_signed_as_the_readme_says(world, receiver):
    hook = endpoint(world.admin, world.dealer, receiver.url)
    other = endpoint(world.outsider, world.other_dealer, receiver.url + "/other")
    lead = world.lead(company_name="Havenkraan Techniek B.V.")

    assert webhooks.deliver() == 1
    headers, body = receiver.requests[0]
    event = verify(hook.secret, headers, body)
    assert event["type"] == "lead.assigned" and headers["X-Portal-Event"] == "lead.assigned"
    assert headers["X-Portal-Event-Id"] == event["id"]
    assert event["data"]["lead"]["id"] == lead.pk
    assert event["data"]["lead"]["company_name"] == "Havenkraan Techniek B.V."
    assert event["data"]["lead"]["url"].endswith(f"/leads/{lead.pk}/")
    assert "owner" not in event["data"]["lead"]  # the dealer's API shape
    with pytest.raises(ValueError):
        verify(other.secret, headers, body)  # another endpoint's secret does not fit
    assert not WebhookDelivery.objects.filter(endpoint=other).exists()
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert delivery.response_code == 200 and delivery.attempts == 1
    assert delivery.duration_ms is not None


def test_the_manufacturer_hears_of_every_lead_with_its_owner(world, receiver):
    channel = StaffFactory(role=Role.CHANNEL_MANAGER).user
    crm = endpoint(channel, None, receiver.url)
    lead = world.lead()
    webhooks.deliver()
    event = verify(crm.secret, *receiver.requests[0])
    assert event["data"]["lead"]["owner"] == {
        "kind": "dealer",
        "id": world.dealer.pk,
        "name": world.dealer.name,
    }
    assert event["data"]["change"]["to_owner"]["id"] == world.dealer.pk
    assert event["data"]["lead"]["id"] == lead.pk


def test_a_dealer_never_receives_another_dealers_lead(world, receiver):
    mine = endpoint(world.admin, world.dealer, receiver.url)
    theirs = endpoint(world.outsider, world.other_dealer, receiver.url)
    lead = world.lead()
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    leads_reassign(lead_ids=[lead.pk], owner=world.other_dealer, actor=manager, reason="Closer by")
    webhooks.deliver()
    webhooks.deliver()

    to_mine = list(WebhookDelivery.objects.filter(endpoint=mine).order_by("pk"))
    to_theirs = list(WebhookDelivery.objects.filter(endpoint=theirs).order_by("pk"))
    assert [d.event_type for d in to_mine] == ["lead.assigned", "lead.reassigned"]
    assert [d.event_type for d in to_theirs] == ["lead.assigned"]
    lost = json.loads(to_mine[1].body)["data"]["lead"]
    assert lost == {"id": lead.pk, "company_name": lead.company_name, "yours": False}
    # The first dealer's endpoint never saw the new owner's name; the new owner's did
    # not hear of the lead before it was theirs.
    assert world.other_dealer.name not in to_mine[1].body
    assert json.loads(to_theirs[0].body)["data"]["lead"]["id"] == lead.pk


def test_the_contact_stays_out_of_a_dealers_event_while_the_policy_hides_it(world, receiver):
    Policy.objects.update(contact_after_accept=True)
    endpoint(world.admin, world.dealer, receiver.url)
    lead = world.lead(contact_name="Sanne de Vries")
    pipeline.lead_accept(
        lead=lead, actor=world.user, next_step="Call", next_step_on=timezone.localdate()
    )
    webhooks.deliver()
    webhooks.deliver()
    assigned, accepted = receiver.bodies()
    assert assigned["data"]["lead"]["contact_hidden"] is True
    assert assigned["data"]["lead"]["contact_name"] == ""
    assert accepted["type"] == "lead.status_changed"
    assert accepted["data"]["change"] == {"from": "new", "to": "accepted"}
    assert accepted["data"]["lead"]["contact_name"] == "Sanne de Vries"


def test_an_error_answer_and_a_timeout_are_tried_again_later(world, receiver):
    endpoint(world.admin, world.dealer, receiver.url)
    world.lead()
    receiver.script = [500, ("sleep", 2)]
    now = timezone.now()
    with override_settings(WEBHOOK_TIMEOUT=0.5):
        assert webhooks.deliver(now=now) == 0
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == WebhookDelivery.State.PENDING
        assert delivery.response_code == 500 and delivery.attempts == 1
        assert delivery.next_attempt_at == now + timedelta(seconds=30)
        assert webhooks.deliver(now=now + timedelta(seconds=10)) == 0  # not due yet
        assert len(receiver.requests) == 1

        assert webhooks.deliver(now=now + timedelta(seconds=31)) == 0  # the receiver hangs
        delivery.refresh_from_db()
        assert delivery.error == "timeout" and delivery.response_code is None
        assert delivery.attempts == 2
        assert delivery.next_attempt_at == now + timedelta(seconds=31 + 60)

    assert webhooks.deliver(now=now + timedelta(seconds=92)) == 1
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED and delivery.attempts == 3
    ids = {headers["X-Portal-Event-Id"] for headers, _body in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1  # the same event each time
    assert WebhookEndpoint.objects.get().failing_since is None


def test_events_of_one_lead_arrive_in_order_even_after_a_failure(world, receiver):
    endpoint(world.admin, world.dealer, receiver.url)
    lead = world.lead()
    pipeline.lead_accept(
        lead=lead, actor=world.user, next_step="Call", next_step_on=timezone.localdate()
    )
    other_lead = world.lead(company_name="Andere Prospect B.V.")
    receiver.script = [503]
    now = timezone.now()
    webhooks.deliver(now=now)
    # The first event of the lead failed: its second waits; another lead's goes out.
    assert [b["data"]["lead"]["id"] for b in receiver.bodies()] == [lead.pk, other_lead.pk]
    webhooks.deliver(now=now + timedelta(minutes=1))
    types = [(b["data"]["lead"]["id"], b["type"]) for b in receiver.bodies()]
    assert types[2:] == [(lead.pk, "lead.assigned"), (lead.pk, "lead.status_changed")]


def test_a_day_of_failures_gives_up_switches_the_endpoint_off_and_tells_its_admin(world, receiver):
    hook = endpoint(world.admin, world.dealer, receiver.url)
    world.lead()
    receiver.script = [500] * 100
    start = timezone.now()
    at, attempts = start, 0
    while WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING).exists():
        webhooks.deliver(now=at)
        attempts += 1
        at += timedelta(hours=1)
        assert attempts < 40
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.FAILED
    hook.refresh_from_db()
    assert not hook.is_active and hook.disabled_at is not None
    (note,) = [
        n
        for n in Notification.objects.filter(recipient=world.admin)
        if n.subject["msgid"].startswith("Webhook switched off")
    ]
    assert note.url == reverse("webhooks:detail", args=[hook.pk])
    # Switched off: nothing more is written for it.
    world.lead(company_name="Later B.V.")
    assert WebhookDelivery.objects.count() == 1


def test_send_again_from_the_log_replays_the_same_event(world, receiver, client):
    hook = endpoint(world.admin, world.dealer, receiver.url)
    world.lead()
    webhooks.deliver()
    first = WebhookDelivery.objects.get()
    client.force_login(world.admin)
    response = client.post(reverse("webhooks:resend", args=[first.pk]))
    assert response.status_code == 302
    webhooks.deliver()
    again = WebhookDelivery.objects.exclude(pk=first.pk).get()
    assert again.resent_from == first and again.state == WebhookDelivery.State.DELIVERED
    (h1, b1), (h2, b2) = receiver.requests
    assert b1 == b2 and h1["X-Portal-Event-Id"] == h2["X-Portal-Event-Id"]
    assert verify(hook.secret, h2, b2)
    # Another dealer's admin cannot replay it.
    client.force_login(world.outsider)
    assert client.post(reverse("webhooks:resend", args=[first.pk])).status_code == 403


def test_claim_decisions_reach_the_claims_dealer(world, receiver):
    endpoint(world.admin, world.dealer, receiver.url, events=["claim.decided"])
    Policy.objects.update(auto_approve_clean_claims=False)
    claim = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={"company_name": "Delta Bouwgroep B.V.", "country": "NL", "postcode": "3011 AB"},
    )
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    claim_approve(claim=claim, actor=manager)
    webhooks.deliver()
    (event,) = receiver.bodies()
    assert event["type"] == "claim.decided"
    assert event["data"]["claim"]["id"] == claim.pk
    assert event["data"]["claim"]["status"] == "approved"
    assert event["data"]["change"] == {"decision": "approved"}


def test_the_sweep_tells_of_a_recycled_lead_and_of_a_claim_expiring_then_expired(
    world, receiver, django_capture_on_commit_callbacks
):
    mine = endpoint(world.admin, world.dealer, receiver.url)
    crm = endpoint(StaffFactory(role=Role.CHANNEL_MANAGER).user, None, receiver.url + "/crm")
    lead = world.lead(company_name="Kadeharing Techniek B.V.")
    claim = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={"company_name": "Delta Bouwgroep B.V.", "country": "NL", "postcode": "3011 AB"},
    )
    assert claim.status == "approved" and claim.reminder_due_at < claim.expires_at
    WebhookDelivery.objects.all().delete()  # the assignment and the decision: tested above

    def sweep_at(moment) -> list[tuple[int, str, str]]:
        before = set(WebhookDelivery.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            sla_sweep(now=moment)
        new = WebhookDelivery.objects.exclude(pk__in=before).order_by("pk")
        return [(d.endpoint_id, d.event_type, d.subject) for d in new]

    recycled = sweep_at(lead.recycle_due_at)
    assert (mine.pk, "lead.recycled", f"lead:{lead.pk}") in recycled
    assert (crm.pk, "lead.recycled", f"lead:{lead.pk}") in recycled
    lost = WebhookDelivery.objects.get(endpoint=mine, event_type="lead.recycled")
    assert json.loads(lost.body)["data"]["lead"] == {
        "id": lead.pk,
        "company_name": "Kadeharing Techniek B.V.",
        "yours": False,
    }
    claim.refresh_from_db()
    assert (mine.pk, "claim.expiring", f"claim:{claim.pk}") in sweep_at(claim.reminder_due_at)
    assert (mine.pk, "claim.expired", f"claim:{claim.pk}") in sweep_at(claim.expires_at)
    webhooks.deliver(now=claim.expires_at)
    kinds = [body["type"] for body in receiver.bodies()]
    assert {"lead.recycled", "claim.expiring", "claim.expired"} <= set(kinds)


def test_a_dealers_endpoint_must_be_https_and_public():
    world = make_world()
    with override_settings(WEBHOOK_ALLOW_HTTP=False), pytest.raises(ValidationError) as refused:
        webhooks.endpoint_create(
            actor=world.admin, dealer=world.dealer, url="http://erp.example.com/in", events=ALL
        )
    assert "https://" in refused.value.message_dict["url"][0]
    with override_settings(WEBHOOK_ALLOW_HTTP=True):
        hook = webhooks.endpoint_create(
            actor=world.admin, dealer=world.dealer, url="http://127.0.0.1:9/in", events=ALL
        )
    # Sending to the portal's own network is refused for a dealer's endpoint.
    assert webhooks.checked_address(hook.url, dealer=True)[1].startswith("private:")
    assert webhooks.checked_address(hook.url, dealer=False) == (None, "")


def test_a_dealers_endpoint_is_sent_to_at_the_address_that_was_checked(
    world, receiver, monkeypatch
):
    """The name is looked up once, checked, and that address is the one connected to
    (SNI and Host stay the name's): a name pointed at the portal's own network between
    the check and the connection would otherwise reach it."""
    lookups = []

    def getaddrinfo(host, *args, **kwargs):
        lookups.append(host)
        address = "93.184.216.34" if host == "erp.dealer.example" else "10.0.0.5"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with override_settings(WEBHOOK_ALLOW_PRIVATE_NETWORKS=False):
        assert webhooks.checked_address("https://erp.dealer.example/in", dealer=True) == (
            "93.184.216.34",
            "",
        )
        assert webhooks.checked_address("https://rebound.example/in", dealer=True) == (
            None,
            "private:10.0.0.5",
        )
    monkeypatch.undo()
    # Connected to the pinned address (here the receiver's), named as the endpoint says.
    port = receiver.server.server_port
    status = webhooks._send(
        f"http://erp.dealer.example:{port}/in?x=1", "127.0.0.1", b"{}", {"X-Test": "1"}
    )
    assert status == 200
    ((headers, _body),) = receiver.requests
    assert headers["Host"] == f"erp.dealer.example:{port}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_nothing_is_lost_when_the_worker_is_killed_mid_delivery(receiver, broker_at):
    """The broker is down, so the event waits in the outbox; a worker process takes it
    and is killed (SIGKILL) while the receiver holds the request; once the lease runs
    out the next worker sends it again."""
    from tests.leads.test_sla_processes import database_url

    broker_at("redis://127.0.0.1:1/0")  # nothing listens: no task runs in this process
    world = make_world()
    hook = endpoint(world.admin, world.dealer, receiver.url)
    world.lead()
    receiver.script = [("sleep", 30)]
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; "
            "django.setup(); from datetime import datetime; from leads.services import webhooks; "
            "webhooks.deliver(now=datetime.fromisoformat(sys.argv[1]))",
            # The test's clock, which may be frozen far from the child's real one.
            timezone.now().isoformat(),
        ],
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "WEBHOOK_ALLOW_HTTP": "1",
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
        },
    )
    try:
        assert receiver.arrived.wait(30), "the worker never sent"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert delivery.state == WebhookDelivery.State.PENDING
    assert delivery.claimed_until is not None  # the dead worker's lease
    assert webhooks.deliver() == 0  # still held
    assert webhooks.deliver(now=delivery.claimed_until + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert receiver.requests[0][1] == receiver.requests[1][1]


def test_an_unsubscribed_portal_writes_nothing(world):
    world.lead()
    assert not WebhookDelivery.objects.exists()
    assert Lead.objects.count() == 1


# --- the pages ------------------------------------------------------------------------


def test_a_dealer_admin_adds_an_endpoint_and_sees_its_secret_once(world, client):
    client.force_login(world.admin)
    form = {
        "url": "https://erp.rijnmond.example/portal",
        "description": "ERP",
        "events": ["lead.assigned", "lead.recycled"],
        "language": "nl",
    }
    response = client.post(reverse("webhooks:new"), form)
    hook = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "webhooks:detail", args=[hook.pk]
    )
    assert hook.dealer == world.dealer and hook.events == ["lead.assigned", "lead.recycled"]
    page = client.get(response.url).content.decode()
    assert hook.secret in page
    assert hook.secret not in client.get(response.url).content.decode()  # shown once
    listing = client.get(reverse("webhooks:list")).content.decode()
    assert "https://erp.rijnmond.example/portal" in listing


def test_the_form_says_what_is_wrong_with_an_address(world, client):
    client.force_login(world.admin)
    with override_settings(WEBHOOK_ALLOW_HTTP=False):
        response = client.post(
            reverse("webhooks:new"),
            {"url": "http://erp.example.com/in", "events": [], "language": "en"},
        )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "https://" in errors["url"][0]
    assert errors["events"] == ["Choose at least one event."]
    assert not WebhookEndpoint.objects.exists()


def test_endpoints_are_their_owners_only(world, client):
    hook = endpoint(world.admin, world.dealer, "https://erp.example.com/in")
    channel = StaffFactory(role=Role.CHANNEL_MANAGER).user
    crm = endpoint(channel, None, "https://crm.example.com/in")
    client.force_login(world.user)  # a dealer user, not its admin
    assert client.get(reverse("webhooks:list")).status_code == 403
    client.force_login(world.outsider)  # another dealer
    assert client.get(reverse("webhooks:detail", args=[hook.pk])).status_code in (403, 404)
    client.force_login(channel)
    listing = client.get(reverse("webhooks:list")).content.decode()
    assert crm.url in listing and hook.url not in listing
    assert client.get(reverse("webhooks:detail", args=[hook.pk])).status_code == 404
    sales = StaffFactory(role=Role.SALES_MANAGER).user
    client.force_login(sales)
    assert client.get(reverse("webhooks:list")).status_code == 403


def test_switching_off_and_on_and_a_new_secret(world, client, receiver):
    hook = endpoint(world.admin, world.dealer, receiver.url)
    client.force_login(world.admin)
    client.post(reverse("webhooks:switch", args=[hook.pk]), {"on": "0"})
    hook.refresh_from_db()
    assert not hook.is_active
    world.lead()
    assert not WebhookDelivery.objects.exists()  # nothing kept while off
    client.post(reverse("webhooks:switch", args=[hook.pk]), {"on": "1"})
    old = hook.secret
    response = client.post(reverse("webhooks:rotate_secret", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.is_active and hook.secret != old
    assert hook.secret in client.get(response.url).content.decode()
    client.post(reverse("webhooks:ping", args=[hook.pk]))
    webhooks.deliver()
    (event,) = [verify(hook.secret, *request) for request in receiver.requests]
    assert event["type"] == "ping"


def test_a_hand_over_of_many_leads_reads_no_owner_per_lead(world):
    """A CRM endpoint's body names each lead's owner from the hand-over itself: moving
    more leads reads the dealers no more often."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    channel = StaffFactory(role=Role.CHANNEL_MANAGER).user
    endpoint(channel, None, "https://crm.example.com/in")

    def dealer_reads(count: int) -> int:
        leads = [world.lead(company_name=f"Stapel {count} {n} B.V.") for n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            leads_reassign(
                lead_ids=[lead.pk for lead in leads],
                owner=world.other_dealer,
                actor=channel,
                reason="Closer by",
            )
        return sum('FROM "dealers_dealer"' in q["sql"] for q in queries.captured_queries)

    assert dealer_reads(2) == dealer_reads(8)
    bodies = [
        json.loads(d.body) for d in WebhookDelivery.objects.filter(event_type="lead.reassigned")
    ]
    assert {b["data"]["lead"]["owner"]["name"] for b in bodies} == {world.other_dealer.name}
