"""Dealers, the people who work for them, and the prospect claims they register."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal.choices import Language, Sector
from portal.db import SignalledQuerySet
from portal.fields import ChoiceListField
from portal.immutable import HistoryEvent, ImmutableModel
from portal.regions import WorkingCalendar
from portal.users.models import Role, sync_role_groups


class Dealer(WorkingCalendar):
    """An independent company that sells our products in its territories."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        TERMINATED = "terminated", _("Terminated")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    external_id = models.CharField(
        _("CRM/ERP id"),
        max_length=100,
        blank=True,
        help_text=_("The dealer's id in the CRM or ERP; synced accounts name it this way."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    countries = CountryField(_("countries served"), multiple=True, blank=True)
    sectors = ChoiceListField(
        _("sector specialisations"),
        item_choices=Sector.choices,
        help_text=_("Leads in these sectors prefer this dealer within its territories."),
    )
    weekly_capacity = models.PositiveIntegerField(
        _("weekly capacity"),
        null=True,
        blank=True,
        help_text=_("New leads per 7 days this dealer can handle; empty means no limit."),
    )
    contact_email = models.EmailField(_("contact e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    # Allocation: the performance weight is derived from the scorecard; a channel
    # manager may override it with a reason until a date.
    performance_weight = models.DecimalField(
        _("performance weight"), max_digits=5, decimal_places=2, default=1
    )
    weight_override = models.DecimalField(
        _("weight override"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    weight_override_reason = models.CharField(_("override reason"), max_length=300, blank=True)
    weight_override_until = models.DateField(_("override until"), null=True, blank=True)
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

    class Meta:
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="dealer_external_id"
            ),
            models.CheckConstraint(
                condition=Q(weight_override__isnull=True) | ~Q(weight_override_reason=""),
                name="dealer_weight_override_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(performance_weight__gte=0)
                & (Q(weight_override__isnull=True) | Q(weight_override__gte=0)),
                name="dealer_weights_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Every dealer has its own group: object permissions on its leads and claims
        # are granted to that group, so colleagues share them.
        if self.group_id is None:
            self.group, _created = Group.objects.get_or_create(name=f"dealer:{self.slug}")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("admin:dealers_dealer_change", args=[self.pk])

    def effective_weight(self, on=None) -> float:
        """The weight routing uses today: the override while it lasts, else performance."""
        on = on or timezone.localdate()
        if self.weight_override is not None and (
            self.weight_override_until is None or on <= self.weight_override_until
        ):
            return float(self.weight_override)
        return float(self.performance_weight)


class DealerMembership(models.Model):
    """A user who works for a dealer. A user belongs to at most one dealer."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("role"),
        max_length=32,
        choices=[(r.value, r.label) for r in Role.dealer_roles()],
        default=Role.DEALER_USER,
    )
    joined_at = models.DateTimeField(default=timezone.now)

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

    class Meta:
        verbose_name = _("dealer membership")
        verbose_name_plural = _("dealer memberships")

    def __str__(self):
        return f"{self.user} @ {self.dealer}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        sync_role_groups(self.user, [self.role])
        self.user.groups.add(self.dealer.group)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.DEALER_ADMIN


class Claim(models.Model):
    """A dealer's registered interest in a prospect company (lead registration).

    Every claim points at an ``Account``: an existing one when the matcher finds the
    company, otherwise a prospect account created from the claim's company fields. The
    database allows one approved claim per account; an approved claim past its
    ``expires_at`` is turned into ``expired`` by the sweep, and every approval expires
    stale ones of the same account first, in the same transaction.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="claims")
    account = models.ForeignKey("leads.Account", on_delete=models.PROTECT, related_name="claims")
    # The company as the dealer described it.
    company_name = models.CharField(_("company name"), max_length=200)
    website = models.CharField(_("website"), max_length=200, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    country = CountryField(_("country"))
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    expected_value = models.DecimalField(
        _("expected value (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    conflicts = models.JSONField(_("conflicts found"), default=list, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("decision reason"), max_length=500, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    renewals = models.PositiveSmallIntegerField(default=0)
    reminder_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="approved"),
                name="one_approved_claim_per_company",
                violation_error_message=_("Another dealer already holds a claim on this company."),
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(approved_at__isnull=False, expires_at__isnull=False),
                name="approved_claim_has_period",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="approved"), name="claim_expiry_due"
            ),
            models.Index(
                fields=["reminder_due_at"],
                condition=Q(reminder_due_at__isnull=False),
                name="claim_reminder_due",
            ),
            models.Index(fields=["dealer", "status"], name="claim_dealer_status"),
        ]

    def __str__(self):
        return f"{self.company_name} ({self.dealer})"

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.APPROVED and self.expires_at > at


class ClaimEvent(HistoryEvent):
    """One immutable line of a claim's history: who registered, approved, rejected,
    renewed, withdrew or ended it, or that it expired, when and why (DESIGN.md: every
    change of a claim is an event with its actor and reason)."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Registered")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RENEWED = "renewed", _("Renewed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ENDED = "ended", _("Ended with the dealer's agreement")
        REMINDER = "reminder", _("Expiry reminder sent")
        EXPIRED = "expired", _("Expired")

    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="events", db_index=False
    )  # indexed by claimevent_history (claim, at)
    kind = models.CharField(max_length=12, choices=Kind.choices)

    class Meta:
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["claim", "at"], name="claimevent_history")]


# --- object permissions (django-guardian, direct foreign keys as its docs recommend) --
class ClaimUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Claim, on_delete=models.CASCADE)


class ClaimGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Claim, on_delete=models.CASCADE)


class WeightChange(ImmutableModel):
    """Audit of every allocation weight change: performance recalculation or override.
    Immutable, like a lead's events (model and database trigger), and kept when the
    person who made it is deleted: their name stays in ``data["actor_name"]``, as a
    ``ChangeEvent`` keeps it (``actor_label``). The dealer's manage page and admin page
    show these lines in its history (``describe``)."""

    class Kind(models.TextChoices):
        PERFORMANCE = "performance", _("Performance recalculation")
        OVERRIDE = "override", _("Manager override")
        OVERRIDE_ENDED = "override_ended", _("Override removed")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="weight_changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    old_weight = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    new_weight = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    reason = models.CharField(max_length=300, blank=True)
    until = models.DateField(null=True, blank=True)
    inputs = models.JSONField(default=dict, blank=True, help_text=_("Scorecard figures used."))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("weight change")
        verbose_name_plural = _("weight changes")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.dealer}: {self.old_weight} → {self.new_weight}"

    @staticmethod
    def actor_data(actor) -> dict:
        """The ``data`` of a change made by ``actor`` (None: the portal itself)."""
        return {"actor_name": str(actor)} if actor is not None else {}

    @property
    def actor_label(self) -> str:
        """Who made the change, also after their account was deleted ("" for the
        portal's own recalculations)."""
        return str(self.actor) if self.actor_id else self.data.get("actor_name", "")

    def describe(self) -> str:
        """The change in the reader's language: kind, old and new weight, reason, end."""

        def shown(weight):
            return "—" if weight is None else number_format(weight, 2)

        parts = [
            gettext("%(kind)s: weight %(old)s → %(new)s")
            % {
                "kind": self.get_kind_display(),
                "old": shown(self.old_weight),
                "new": shown(self.new_weight),
            }
        ]
        if self.reason:
            parts.append(gettext(self.reason))
        if self.until:
            parts.append(
                gettext("until %(until)s") % {"until": date_format(self.until, "DATE_FORMAT")}
            )
        return " · ".join(parts)
