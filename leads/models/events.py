"""What happened to a lead: ``LeadEvent`` (never updated or deleted) and the duplicate
submissions folded into it."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.models.lead import Lead
from portal.immutable import HistoryEvent


class LeadEvent(HistoryEvent):
    """One immutable line of a lead's history. Inserted, never updated or deleted (the
    model refuses, and a database trigger refuses too)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        ROUTED = "routed", _("Routed")
        REASSIGNED = "reassigned", _("Reassigned")
        HANDED_OVER = "handed_over", _("Handed to a colleague")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        STATUS = "status", _("Status changed")
        CONTACT = "contact", _("Contact attempt")
        NOTE = "note", _("Note")
        DUPLICATE = "duplicate", _("Duplicate attached")
        REMINDER = "reminder", _("Reminder sent")
        ESCALATION = "escalation", _("Escalated")
        RECYCLED = "recycled", _("Recycled")
        CONFIRMATION = "confirmation", _("Confirmation sent to the prospect")
        EXPORTED = "exported", _("Personal data exported")
        ERASED = "erased", _("Personal data erased")

    lead = models.ForeignKey(
        Lead, on_delete=models.PROTECT, related_name="events", db_index=False
    )  # indexed by leadevent_timeline (lead, at)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Owners as they were: {"kind": "dealer", "id": 3, "name": "Van Dijk Techniek"}.
    from_owner = models.JSONField(null=True, blank=True)
    to_owner = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="leadevent_timeline")]


class DuplicateSubmission(models.Model):
    """The personal data of a repeat submission attached to an open lead (a duplicate).

    It lives here, not in the immutable "duplicate" event, so that erasing a prospect's
    personal data (``leads.services.privacy``) can blank it; the event only refers to
    this row by id."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="duplicate_submissions")
    received_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, choices=Lead.Source.choices)
    external_id = models.CharField(max_length=100, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("duplicate submission")
        verbose_name_plural = _("duplicate submissions")
        ordering = ["received_at", "id"]
        indexes = [  # a batch asks which of its ids arrived before as a repeat
            models.Index(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="duplicate_source_external_id",
            )
        ]

    def __str__(self):
        return f"{self.lead_id} · {self.received_at:%Y-%m-%d %H:%M}"
