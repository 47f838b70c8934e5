"""Outbound webhooks: events pushed to dealers' systems and the manufacturer's CRM.

**Writing.** The services that change a lead or a claim call ``emit`` inside their own
transaction with what happened (``Event``); ``emit`` writes one ``WebhookDelivery`` row
per subscribed endpoint in that transaction (the outbox: no event is sent that did not
happen, none is lost when the broker or the worker is down), and after the commit asks
a worker to send (``portal.queue``). A dealer's endpoint hears of its own dealer's
leads and claims only; the manufacturer's endpoints (no dealer) hear of everything.
The body is the object as the API shows it to that receiver, fixed when the event
happened. With no endpoint subscribed, ``emit`` costs a look at a cached list.

**Sending.** ``deliver`` takes due rows with a lease (a conditional UPDATE), so two
workers never send one row at once and a worker killed mid-send leaves a row that is
sent again when its lease ends: delivery is at least once; ``event_id`` lets the
receiver drop a repeat. ``WebhookDelivery.error`` keeps what went wrong as a code the
log page words in its reader's language: ``timeout``, ``connect:<detail>`` or
``private:<address>`` (a dealer's address on the portal's own network; a dealer's
endpoint is sent to at the very address that was checked, so a name pointed elsewhere
after the check cannot reach that network). Rows about one lead or claim go to one endpoint in the order
they were written: a row waits while an earlier one of its subject is pending.

Each POST carries ``X-Portal-Timestamp`` (Unix seconds) and ``X-Portal-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret>``. Any
2xx is delivered; anything else (an error status, a timeout, a refused connection) is
tried again after 30 s, 1, 2, 4 … minutes (at most an hour apart) until 24 hours after
the event; then the row is given up. An endpoint whose every attempt failed for 24
hours is switched off and its owner told; the log page sends any row again.
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leads import world
from leads.models import PING, WebhookDelivery, WebhookEndpoint, WebhookEvent
from portal.db import insert_rows
from portal.messages import message, parts
from portal.queue import publish_or_sweep
from portal.users.models import Notification, Role, User
from portal.users.services import notify

RETRY_FOR = timedelta(hours=24)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
LEASE = timedelta(seconds=60)  # longer than one attempt can take (TIMEOUT)
BATCH = 100
STAFF, DEALER = "staff", "dealer"

_http = urllib3.PoolManager(num_pools=20, maxsize=2, retries=False)


# --- writing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Something that happened to a lead or a claim, for whoever subscribed to it.

    ``dealer_id``: the dealer whose endpoints hear of it (None: none); ``staff``: whether
    the manufacturer's endpoints do. ``body(audience)`` returns the event's ``data`` as
    the API shows it to a ``STAFF`` or a ``DEALER`` receiver, in the active language."""

    type: str
    subject: str
    body: Callable[[str], dict]
    dealer_id: int | None = None
    staff: bool = True


@dataclass(frozen=True)
class Subscriber:
    id: int
    dealer_id: int | None
    events: frozenset
    language: str


def subscribers() -> tuple[Subscriber, ...]:
    """The active endpoints and what they subscribed to (cached with the world)."""

    def build():
        return tuple(
            Subscriber(e.pk, e.dealer_id, frozenset(e.events), e.language)
            for e in WebhookEndpoint.objects.filter(is_active=True)
        )

    return world.cached("webhook-subscribers", build)


def emit(events: Iterable[Event], *, now: datetime | None = None) -> int:
    """Write the deliveries of ``events`` in the caller's transaction; returns how many."""
    endpoints = subscribers()
    if not endpoints:
        return 0
    now = now or timezone.now()
    rows = []
    for event in events:
        receivers = [
            e
            for e in endpoints
            if event.type in e.events
            and (event.staff if e.dealer_id is None else e.dealer_id == event.dealer_id)
        ]
        if not receivers:
            continue
        event_id = uuid.uuid4()
        bodies: dict[tuple, str] = {}
        for endpoint in receivers:
            audience = STAFF if endpoint.dealer_id is None else DEALER
            key = (audience, endpoint.language)
            if key not in bodies:
                with translation.override(endpoint.language):
                    bodies[key] = envelope(event_id, event.type, now, event.body(audience))
            rows.append(
                {
                    "endpoint_id": endpoint.id,
                    "event_id": event_id,
                    "event_type": event.type,
                    "subject": event.subject,
                    "body": bodies[key],
                    "created_at": now,
                    "next_attempt_at": now,
                }
            )
    if rows:
        insert_rows(WebhookDelivery, rows)
        transaction.on_commit(_queue)
    return len(rows)


def envelope(event_id, event_type: str, at: datetime, data: dict) -> str:
    """The JSON body every delivery sends: ``{"id", "type", "created_at", "data"}``."""
    return json.dumps(
        {"id": str(event_id), "type": event_type, "created_at": at.isoformat(), "data": data},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _queue() -> None:
    from leads.webhooks.tasks import deliver_pending_webhooks  # (the task imports this)

    publish_or_sweep(deliver_pending_webhooks, sweep=deliver_pending_webhooks)


# --- sending ----------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``"<timestamp>.<body>"``: what ``X-Portal-Signature`` says."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 30 s, 1, 2, 4 … min."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def due(now: datetime):
    """Pending rows whose time has come, of active endpoints, nobody holds, and with no
    earlier pending row of the same subject to the same endpoint."""
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        subject=OuterRef("subject"),
        state=WebhookDelivery.State.PENDING,
        pk__lt=OuterRef("pk"),
    )
    return (
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .exclude(Exists(earlier))
        .order_by("next_attempt_at", "pk")
    )


def deliver(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send up to ``limit`` due deliveries; returns how many were delivered."""
    now = now or timezone.now()
    delivered, tried = 0, 0
    while tried < limit:
        # Again after each round: a row that waited for an earlier one of its subject
        # is due once that one went out.
        pks = list(due(now).values_list("pk", flat=True)[: limit - tried])
        if not pks:
            break
        for pk in pks:
            tried += 1
            delivered += deliver_one(pk, now=now)
    return delivered


def deliver_one(pk: int, *, now: datetime) -> bool:
    """Take the lease on one row and send it; False when another worker has it, it is
    no longer pending, or the attempt failed."""
    claimed = (
        WebhookDelivery.objects.filter(pk=pk, state=WebhookDelivery.State.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE)
    )
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=pk)
    code, error, duration_ms = post(delivery.endpoint, delivery.body.encode(), delivery)
    return _record(delivery, code=code, error=error, duration_ms=duration_ms, now=now)


def post(endpoint: WebhookEndpoint, body: bytes, delivery: WebhookDelivery):
    """POST one signed body; (status code or None, error text, milliseconds)."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "DealerPortal-Webhooks/1",
        "X-Portal-Event": delivery.event_type,
        "X-Portal-Event-Id": str(delivery.event_id),
        "X-Portal-Delivery": str(delivery.pk),
        "X-Portal-Timestamp": timestamp,
        "X-Portal-Signature": sign(endpoint.secret, timestamp, body),
    }
    started = time.monotonic()
    try:
        pinned, refused = checked_address(endpoint.url, dealer=endpoint.dealer_id is not None)
        if refused:
            return None, refused, 0
        return _send(endpoint.url, pinned, body, headers), "", _ms(started)
    except (urllib3.exceptions.TimeoutError, TimeoutError):
        return None, "timeout", _ms(started)
    except urllib3.exceptions.HTTPError as error:
        reason = getattr(error, "reason", None) or error
        return None, f"connect:{reason}"[:300], _ms(started)
    except OSError as error:
        return None, f"connect:{error}"[:300], _ms(started)


def _send(url: str, pinned: str | None, body: bytes, headers: dict) -> int:
    """POST ``body`` to ``url``, to the address ``pinned`` when it was checked (the
    name is not looked up again: between a check and a second lookup a name can be
    pointed at the portal's own network); returns the status."""
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_TIMEOUT, read=settings.WEBHOOK_TIMEOUT)
    if pinned is None:
        pool, target = _http, url
    else:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        options = {"port": parts.port or (443 if https else 80), "retries": False, "maxsize": 1}
        if https:  # the certificate and SNI are the name's, the connection the address's
            pool = urllib3.HTTPSConnectionPool(
                pinned, server_hostname=parts.hostname, assert_hostname=parts.hostname, **options
            )
        else:
            pool = urllib3.HTTPConnectionPool(pinned, **options)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {**headers, "Host": parts.netloc}
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers=headers,
            redirect=False,
            timeout=timeout,
            preload_content=False,
        )
        try:
            response.read(64 * 1024)  # what a receiver says is not kept; read a little
        finally:
            response.release_conn()
        return response.status
    finally:
        if pool is not _http:
            pool.close()


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _record(delivery: WebhookDelivery, *, code, error: str, duration_ms: int, now) -> bool:
    endpoint = delivery.endpoint
    ok = code is not None and 200 <= code < 300
    fields = {
        "attempts": F("attempts") + 1,
        "last_attempt_at": now,
        "response_code": code,
        "duration_ms": duration_ms,
        "error": error[:300],
        "claimed_until": None,
    }
    with transaction.atomic():
        if ok:
            fields.update(state=WebhookDelivery.State.DELIVERED, delivered_at=now)
        elif now - delivery.created_at >= RETRY_FOR:
            fields.update(state=WebhookDelivery.State.FAILED)
        else:
            fields.update(next_attempt_at=now + backoff(delivery.attempts + 1))
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
        if ok:
            if endpoint.failing_since is not None:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        else:
            since = endpoint.failing_since or now
            if since == now:
                WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                    failing_since=now
                )
            if now - since >= RETRY_FOR and endpoint.is_active:
                _switch_off(endpoint, now=now)
    return ok


def _switch_off(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Switch off an endpoint that failed for a day and tell its owner."""
    reason = gettext_noop("Every attempt failed for 24 hours.")
    switched = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason
    )
    if not switched:
        return
    notify(
        recipients=endpoint_owners(endpoint),
        kind=Notification.Kind.INFO,
        subject=message(gettext_noop("Webhook switched off: %(url)s"), url=endpoint.url),
        body=parts(
            message(
                gettext_noop(
                    "Every attempt to send events to %(url)s failed for 24 hours, so it "
                    "gets no more events."
                ),
                url=endpoint.url,
            ),
            message(
                gettext_noop(
                    "Fix the receiver, switch the endpoint on again and send what it "
                    "missed from its delivery log."
                )
            ),
        ),
        url=endpoint_url(endpoint),
    )


def endpoint_owners(endpoint: WebhookEndpoint) -> list[User]:
    """Who looks after an endpoint: its dealer's admins, or the channel managers."""
    if endpoint.dealer_id:
        return list(
            User.objects.filter(
                is_active=True,
                dealermembership__dealer_id=endpoint.dealer_id,
                dealermembership__role=Role.DEALER_ADMIN,
            )
        )
    return list(User.objects.filter(is_active=True, staffprofile__role=Role.CHANNEL_MANAGER))


def endpoint_url(endpoint: WebhookEndpoint) -> str:
    from django.urls import reverse

    return reverse("webhooks:detail", args=[endpoint.pk])


# --- addresses ----------------------------------------------------------------------------


def address_problem(url: str) -> str | None:
    """Why ``url`` cannot be an endpoint, or None: HTTPS only (plain HTTP where
    ``WEBHOOK_ALLOW_HTTP`` says so, for a receiver on one's own machine)."""
    parts_ = urlsplit(url)
    if parts_.scheme != "https" and not (parts_.scheme == "http" and settings.WEBHOOK_ALLOW_HTTP):
        return _("Use an https:// address: events carry personal data.")
    if not parts_.hostname:
        return _("Give a full address, e.g. https://crm.example.com/portal-events.")
    if parts_.username or parts_.password:
        return _(
            "Leave the user name and password out of the address; the signature proves the sender."
        )
    return None


def checked_address(url: str, *, dealer: bool) -> tuple[str | None, str]:
    """``(address, "")`` to send to, or ``(None, why not)``: a dealer's endpoint must be
    on the internet, not on the portal's own network (where an address could reach the
    database or the cache), and is sent to at the address checked here (``address``;
    None: let the client look the name up, for the manufacturer's endpoints, which may
    be internal, and with ``WEBHOOK_ALLOW_PRIVATE_NETWORKS``, tests)."""
    if not dealer or settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return None, ""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as error:
        return None, f"connect:{error}"[:300]
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if not address.is_global:
            return None, f"private:{address}"
    return (str(addresses[0]), "") if addresses else (None, f"connect:no address for {host}")


# --- the endpoint's owner acts --------------------------------------------------------------


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _clean(url: str, events: list[str], *, dealer) -> dict:
    errors = {}
    url = (url or "").strip()
    problem = address_problem(url) if url else _("Give the address.")
    if problem:
        errors["url"] = problem
    unknown = set(events) - set(WebhookEvent.values)
    if not events:
        errors["events"] = _("Choose at least one event.")
    elif unknown:
        errors["events"] = _("Unknown event(s): %(events)s") % {
            "events": ", ".join(sorted(unknown))
        }
    if errors:
        raise ValidationError(errors)
    return {"url": url, "events": sorted(set(events))}


def endpoint_create(
    *, actor: User, dealer, url: str, events: list[str], description: str = "", language=""
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (shown to ``actor`` once by the page)."""
    cleaned = _clean(url, events, dealer=dealer)
    return WebhookEndpoint.objects.create(
        dealer=dealer,
        description=(description or "").strip()[:200],
        language=language or actor.language,
        secret=new_secret(),
        created_by=actor,
        **cleaned,
    )


def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, events: list[str], description: str, language: str
) -> WebhookEndpoint:
    cleaned = _clean(url, events, dealer=endpoint.dealer)
    endpoint.url, endpoint.events = cleaned["url"], cleaned["events"]
    endpoint.description, endpoint.language = (description or "").strip()[:200], language
    endpoint.save(update_fields=["url", "events", "description", "language"])
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    """A new secret; the old one stops working at once. Returns it (shown once)."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint.secret


def endpoint_switch(*, endpoint: WebhookEndpoint, on: bool, now: datetime | None = None) -> None:
    """Switch an endpoint on (its waiting deliveries go out again, with a fresh day of
    retries) or off by hand (nothing is written for it until it is on again)."""
    now = now or timezone.now()
    with transaction.atomic():
        if on:
            endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
            endpoint.failing_since = None
            WebhookDelivery.objects.filter(
                endpoint=endpoint, state=WebhookDelivery.State.PENDING
            ).update(created_at=now, next_attempt_at=now, claimed_until=None)
        else:
            endpoint.is_active, endpoint.disabled_at = False, now
            endpoint.disabled_reason = gettext_noop("Switched off by a person.")
        endpoint.save(
            update_fields=["is_active", "disabled_at", "disabled_reason", "failing_since"]
        )
    if on:
        transaction.on_commit(_queue)


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its log; what was waiting for it is not sent."""
    endpoint.delete()


def delivery_resend(*, delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again from the log: a new row with the same event id and body,
    after any pending row of its subject (order is kept)."""
    now = now or timezone.now()
    again = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        subject=delivery.subject,
        body=delivery.body,
        created_at=now,
        next_attempt_at=now,
        resent_from=delivery,
    )
    transaction.on_commit(_queue)
    return again


def endpoint_ping(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> WebhookDelivery:
    """A test event (``ping``) to check a receiver and its signature check."""
    now = now or timezone.now()
    event_id = uuid.uuid4()
    with translation.override(endpoint.language):
        data = {"message": _("A test event from the Dealer Portal."), "endpoint": endpoint.pk}
    ping = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event_id,
        event_type=PING,
        subject=f"ping:{event_id.hex[:12]}",
        body=envelope(event_id, PING, now, data),
        created_at=now,
        next_attempt_at=now,
    )
    transaction.on_commit(_queue)
    return ping
