"""The broker and the cache are not single points of failure: with either pointed at a
port where nothing answers (or where something accepts and never answers), intake is
201 and stored, sign-in works, the API keys and the routing world come from the
database, and what waited in the outbox goes out exactly once after recovery."""

import socket
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from leads import world
from leads.models import Integration, Lead, LeadEvent
from leads.services.api_keys import api_key_create
from leads.tasks import confirm_pending_receipts
from portal import cache as resilient
from portal import queue
from portal.celery import app as celery_app
from portal.users.models import Notification, Role
from portal.users.tasks import deliver_pending_notifications
from tests.factories import (
    PASSWORD,
    DealerFactory,
    DealerMemberFactory,
    UserFactory,
    territory_with,
)

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1
PAYLOAD = {
    "company_name": "Havenbedrijf Techniek B.V.",
    "country": "NL",
    "postcode": "3011 AB",
    "contact_email": "jan@havenbedrijf.example",
    "interest": "demo",
}


class SilentServer:
    """A TCP server that accepts connections and never says a word (a hung broker or
    cache); counts the connections it was asked for."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"

    def _serve(self):
        while True:
            try:
                connection, _address = self.sock.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self):
        self.sock.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def cache_at(settings):
    """Point the shared cache at an address (the resilient Redis backend)."""

    def point(url: str) -> None:
        settings.CACHES = {
            "default": {"BACKEND": "portal.cache.ResilientRedisCache", "LOCATION": url}
        }
        resilient.reset()
        world.reset()

    yield point
    resilient.reset()
    world.reset()


@pytest.fixture
def rotterdam():
    dealer = DealerFactory(name="Rijnmond Techniek")
    people = [
        DealerMemberFactory(dealer=dealer, role=Role.DEALER_ADMIN).user,
        DealerMemberFactory(dealer=dealer).user,
    ]
    territory_with(name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(dealer, 1)])
    integration = Integration.objects.create(name="Website", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="site", integration=integration)
    return {"dealer": dealer, "people": people, "key": secret}


def post_lead(client, key, **fields):
    return client.post(
        "/api/v1/leads/",
        {**PAYLOAD, **fields},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )


# --- the broker ------------------------------------------------------------------------


@pytest.mark.parametrize("broker", ["closed", "silent"])
def test_intake_with_the_broker_down_is_stored_and_its_mail_waits_in_the_outbox(
    client, rotterdam, broker_at, silent, broker, django_capture_on_commit_callbacks
):
    broker_at(CLOSED if broker == "closed" else silent.url)
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=AMS)  # after hours: a confirmation too

    import time_machine

    with time_machine.travel(saturday, tick=False):
        for n in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                response = post_lead(
                    client, rotterdam["key"], contact_email=f"p{n}@havenbedrijf{n}.example",
                    company_name=f"Havenbedrijf {n} B.V.",
                )  # fmt: skip
            assert response.status_code == 201, response.content

    leads = Lead.objects.all()
    assert leads.count() == 3
    # Everything to send waits in the outbox; nobody was e-mailed from the request.
    assert mail.outbox == []
    assert leads.filter(confirmation_due_at__isnull=False).count() == 3
    waiting = Notification.objects.filter(send_email=True, emailed_at__isnull=True)
    assert waiting.count() >= 3 * len(rotterdam["people"])
    # Only the first publish went to the broker: the others did not even try.
    assert len(silent.accepted) <= (1 if broker == "silent" else 0)

    # The broker is back: beat's outbox sweeps send each e-mail once.
    celery_app.conf.task_always_eager = True
    notifications = waiting.count()
    assert deliver_pending_notifications.apply().get() == notifications
    assert confirm_pending_receipts.apply().get() == 3
    assert deliver_pending_notifications.apply().get() == 3 * len(rotterdam["people"])  # tasks
    assert confirm_pending_receipts.apply().get() == 0
    assert deliver_pending_notifications.apply().get() == 0
    prospects = [m for m in mail.outbox if m.to[0].startswith("p")]
    assert sorted(m.to[0] for m in prospects) == [f"p{n}@havenbedrijf{n}.example" for n in range(3)]
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.CONFIRMATION).count() == 3
    assert not leads.filter(confirmation_due_at__isnull=False).exists()


@pytest.mark.parametrize("broker", ["closed", "silent"])
def test_with_the_broker_down_sign_in_and_a_password_reset_work(client, broker_at, silent, broker):
    broker_at(CLOSED if broker == "closed" else silent.url)
    user = UserFactory(email="eva@example.com")

    response = client.post(
        reverse("account_login"), {"login": "eva@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).wsgi_request.user == user
    client.logout()
    response = client.post(reverse("account_reset_password"), {"email": "eva@example.com"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["eva@example.com"]]


def test_a_publish_gives_up_quickly_and_leaves_the_broker_alone_for_a_while(broker_at, silent):
    broker_at(silent.url)

    assert queue.publish(deliver_pending_notifications) is False
    assert queue.publish(deliver_pending_notifications) is False
    assert len(silent.accepted) == 1  # the second did not try
    queue.reset()
    assert queue.publish(deliver_pending_notifications) is False
    assert len(silent.accepted) == 2


def test_an_outage_is_logged_as_an_error_once_and_its_end_as_a_warning(
    broker_at, settings, silent, caplog
):
    broker_at(silent.url)
    with caplog.at_level("WARNING", logger="portal.queue"):
        queue.publish(deliver_pending_notifications)
        queue.publish(deliver_pending_notifications)  # left alone: nothing more to say
    (logged,) = caplog.records
    assert logged.levelname == "ERROR" and "work waits in the outbox" in logged.getMessage()
    if not settings.REDIS_URL:
        return  # the recovery needs a real broker (CI)
    import redis

    broker_at(settings.REDIS_URL)
    queue._state["down_since"] = "10:00:00"  # the outage above, remembered
    caplog.clear()
    with caplog.at_level("WARNING", logger="portal.queue"):
        assert queue.publish(deliver_pending_notifications) is True
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "reachable again" in caplog.records[0].getMessage()
    redis.Redis.from_url(settings.REDIS_URL).rpop("celery")


def test_a_publish_to_a_broker_that_is_up_queues_the_task(broker_at, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs a real Redis broker (REDIS_URL); runs in CI")
    import redis

    broker_at(settings.REDIS_URL)
    client = redis.Redis.from_url(settings.REDIS_URL)
    before = client.llen("celery")

    assert queue.publish(deliver_pending_notifications) is True

    assert client.llen("celery") == before + 1
    client.rpop("celery")


# --- the cache -------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["closed", "silent"])
def test_with_the_cache_down_intake_sign_in_and_the_inquiry_form_work(
    client, rotterdam, cache_at, silent, where
):
    cache_at(CLOSED if where == "closed" else silent.url)

    response = post_lead(client, rotterdam["key"])
    assert response.status_code == 201, response.content
    assert Lead.objects.get().owner_dealer == rotterdam["dealer"]
    # A wrong key is still refused (checked against the database).
    assert post_lead(client, "dp_nope.nope").status_code in (401, 403)

    user = UserFactory(email="eva@example.com")
    response = client.post(
        reverse("account_login"), {"login": "eva@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).wsgi_request.user == user

    form = {
        "company_name": "Maas Logistiek B.V.",
        "contact_name": "Kees Maas",
        "contact_email": "kees@maas.example",
        "country": "NL",
        "postcode": "3012 AB",
        "interest": "demo",
        "timeline": "3m",
        "consent": "on",
    }
    assert client.post(reverse("inbound"), form).status_code == 302
    assert Lead.objects.count() == 2
    if where == "silent":  # one connection timed out, then the cache was left alone
        assert len(silent.accepted) == 1


def test_with_the_cache_down_a_change_of_the_world_is_seen_within_a_second(rotterdam, cache_at):
    cache_at(CLOSED)
    built = []

    def build():
        built.append(1)
        return len(built)

    assert world.cached("thing", build) == 1
    assert world.cached("thing", build) == 1  # kept within the second
    world._state["checked"] = 0.0  # a second later
    assert world.cached("thing", build) == 2  # read again: nobody could say it changed


def test_after_an_outage_the_first_process_back_starts_a_new_version(settings, cache_at):
    if not settings.REDIS_URL:
        pytest.skip("needs a real Redis (REDIS_URL); runs in CI")
    before = world.version()
    cache_at(CLOSED)
    world._state["checked"] = 0.0
    world.changed()  # a change nobody else could hear of
    cache_at(settings.REDIS_URL)
    world._state["outage"] = True  # (cache_at reset the process state; the outage stays)

    after = world.version()

    assert after != before
    from django.core.cache import cache

    assert cache.get(world.VERSION_KEY) == after


def test_every_cache_call_of_a_process_uses_one_redis_client(settings, cache_at):
    """Django's backend built a new client object (and its callback table) per call."""
    if not settings.REDIS_URL:
        pytest.skip("needs a real Redis (REDIS_URL); runs in CI")
    cache_at(settings.REDIS_URL)
    from django.core.cache import cache

    cache.set("one-client", 1)
    assert cache.get("one-client") == 1 and cache.incr("one-client") == 2
    backend = cache._cache
    assert backend.get_client(write=True) is backend.get_client(write=True)
    assert len(backend._clients) == 1
