"""Outbound webhooks: the HTTPS endpoints of dealers' and the manufacturer's systems
(``WebhookEndpoint``) and one row per event sent to each (``WebhookDelivery``).

A delivery row is written in the same transaction as the event it reports (the outbox)
and sent afterwards by the workers (``leads.services.webhooks``); its body is the
object as the API shows it to that endpoint's owner, fixed when the event happened.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.db import SignalledQuerySet
from portal.fields import ChoiceListField


class WebhookEvent(models.TextChoices):
    LEAD_ASSIGNED = "lead.assigned", _("A lead is assigned")
    LEAD_RECYCLED = "lead.recycled", _("A lead is taken back after its deadline")
    LEAD_STATUS_CHANGED = "lead.status_changed", _("A lead's status changes")
    LEAD_REASSIGNED = "lead.reassigned", _("A lead is moved to another owner")
    CLAIM_DECIDED = "claim.decided", _("A claim is approved or rejected")
    CLAIM_EXPIRING = "claim.expiring", _("A claim expires soon")
    CLAIM_EXPIRED = "claim.expired", _("A claim has expired")


# A test event an endpoint's owner sends from its page; not something to subscribe to.
PING = "ping"


class WebhookEndpoint(models.Model):
    """An HTTPS address that receives the events it subscribed to, signed with its own
    secret. ``dealer`` set: a dealer's system, which receives that dealer's leads and
    claims only; empty: the manufacturer's own system (a CRM), which receives all."""

    dealer = models.ForeignKey(
        "dealers.Dealer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("dealer"),
    )
    url = models.URLField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = ChoiceListField(_("events"), item_choices=WebhookEvent.choices, default=list)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language of texts in the events, such as the reason of a routing."),
    )
    # Needed as it is to sign each body (HMAC), so it is stored, not hashed; the pages
    # show it once, when it is made.
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Since when every attempt failed (none succeeded since); None while it works.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SignalledQuerySet.as_manager()  # the world caches who subscribed to what

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: its body as sent, and how sending went.

    ``event_id`` is the event's (the same for every endpoint, and for a delivery sent
    again from the log), so a receiver can drop what it already had. Deliveries of one
    ``subject`` (a lead, a claim) to one endpoint go out in the order they were written;
    a later one waits while an earlier one is pending."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Given up")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4)
    event_type = models.CharField(max_length=40)
    subject = models.CharField(max_length=40)  # "lead:12", "claim:3"
    body = models.TextField()  # the JSON exactly as signed and sent
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker's lease: while it runs, no other worker sends this row; a worker that
    # died mid-send leaves it, and the row is sent again once the lease has run out.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resent_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="webhook_outbox",
            ),
            models.Index(fields=["endpoint", "subject", "id"], name="webhook_order"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_log"),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint_id}"

    @property
    def problem(self) -> str:
        """What went wrong with the last attempt, in the reader's language ("" if nothing)."""
        if self.response_code and not 200 <= self.response_code < 300:
            return _("The receiver answered %(code)s.") % {"code": self.response_code}
        kind, _colon, detail = self.error.partition(":")
        if kind == "timeout":
            return _("No answer in time.")
        if kind == "connect":
            return _("Could not connect (%(detail)s).") % {"detail": detail}
        if kind == "private":
            return _(
                "Not sent: the address is on a private network (%(address)s); a dealer's "
                "receiver must be on the internet."
            ) % {"address": detail}
        return ""
