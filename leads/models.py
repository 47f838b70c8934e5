"""Leads, the companies they come from, their owners over time and their history.

The owner of a lead is exactly one of a dealer, an internal user or a named queue
(a database check constraint). Only ``leads.services.routing`` changes it, in one
transaction with the event, the ownership stint, the object permissions and the SLA
deadline columns. ``LeadEvent`` rows are never updated or deleted.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal.choices import Language, Sector
from portal.immutable import HistoryEvent
from portal.messages import render_message


class Queue(models.Model):
    """A named queue that owns leads until someone takes them: the channel manager's
    pool, the marketing nurture queue. Someone is always responsible for it."""

    POOL = "pool"
    NURTURE = "nurture"

    slug = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]

    def __str__(self):
        # The queues a migration made have English names with translations ("Channel
        # pool"); a name staff give a queue themselves is shown as it is.
        return gettext(self.name)


# The names of the queues migration 0003 makes, for makemessages.
QUEUE_NAMES = (gettext_noop("Channel pool"), gettext_noop("Marketing nurture"))


class CountryCode:
    """``country_code``: the stored ISO code, without building a django-countries
    ``Country`` object (which looks up the name each time ``.country`` is read; routing
    and the import read it many times per lead)."""

    @property
    def country_code(self) -> str:
        code = self.__dict__.get("country")
        return code if code is not None else self.country.code


class Account(CountryCode, models.Model):
    """A known company: a customer when it has installed base, otherwise a prospect
    (for instance one a dealer has claimed). Lookup columns are normalised and
    indexed so the matcher never scans."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    normalized_name = models.CharField(max_length=200, db_index=True, editable=False)
    website_domain = models.CharField(_("website domain"), max_length=120, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    coc_number = models.CharField(_("chamber of commerce number"), max_length=30, blank=True)
    country = CountryField(_("country"))
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    postcode_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    city = models.CharField(_("city"), max_length=100, blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subsidiaries",
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_accounts",
    )
    serving_dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("serving dealer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="served_accounts",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["legal_name"]
        indexes = [
            models.Index(
                fields=["website_domain"], condition=~Q(website_domain=""), name="account_domain"
            ),
            models.Index(fields=["vat_number"], condition=~Q(vat_number=""), name="account_vat"),
            models.Index(fields=["coc_number"], condition=~Q(coc_number=""), name="account_coc"),
            models.Index(fields=["country", "postcode_number"], name="account_postcode"),
        ]

    def __str__(self):
        return self.legal_name

    def save(self, *args, **kwargs):
        self.fill_lookup_columns()
        super().save(*args, **kwargs)

    def clean(self):
        """Forms (the admin) refuse a VAT or chamber-of-commerce number that is not valid
        for the account's country: it would be kept as typed and never match a lead."""
        from leads.matching.normalize import NormalizationError

        errors = {}
        for field, normalize in self._identifiers():
            try:
                normalize(getattr(self, field))
            except NormalizationError as error:
                errors[field] = error.text(gettext)
        if errors:
            raise ValidationError(errors)

    def fill_lookup_columns(self) -> None:
        """Normalised identifiers, as the matcher looks them up and leads store theirs:
        "NL 0044.95.445.B01" is kept as "NL004495445B01", "https://www.Example.nl/" as
        "example.nl", "KvK 1234.5678" as "12345678". A number that is not valid stays as
        typed (``clean`` refuses it in forms)."""
        from leads.matching.normalize import (
            NormalizationError,
            domain_from_url,
            normalize_company_name,
        )

        self.normalized_name = normalize_company_name(self.legal_name)
        self.website_domain = domain_from_url(self.website_domain) or self.website_domain.strip()
        for field, normalize in self._identifiers():
            try:
                setattr(self, field, normalize(getattr(self, field)))
            except NormalizationError:
                setattr(self, field, getattr(self, field).strip())

    def _identifiers(self):
        from leads.matching.normalize import normalize_coc, normalize_vat

        country = self.country_code
        return [
            ("vat_number", lambda number: normalize_vat(number, country or None)),
            ("coc_number", lambda number: normalize_coc(number, country) if country else number),
        ]


class InstalledProduct(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="installed_base")
    product = models.CharField(_("product"), max_length=120)
    serial_number = models.CharField(_("serial number"), max_length=60, blank=True)
    installed_on = models.DateField(_("installed on"))

    class Meta:
        verbose_name = _("installed product")
        verbose_name_plural = _("installed base")
        ordering = ["-installed_on"]

    def __str__(self):
        return f"{self.product} ({self.installed_on:%Y})"


class Integration(models.Model):
    """A system that posts leads: a web form, marketing automation, a partner site."""

    class Kind(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        MARKETING = "marketing", _("Marketing automation")
        OTHER = "other", _("Other system")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ApiKey(models.Model):
    """A secret for the REST API, bound to an integration or to one person (a dealer
    user's personal token). Only a SHA-256 hash of the key is stored; the key itself
    is shown once when it is created (``leads.services.api_keys``)."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(integration__isnull=False, user__isnull=True)
                | Q(integration__isnull=True, user__isnull=False),
                name="api_key_for_integration_or_user",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class OwnerFields(models.Model):
    """Exactly one of a dealer, an internal user or a queue (checked by the database)."""

    owner_dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("dealer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # covered by the (owner_dealer, …) indexes of Lead and Assignment
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("internal owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # covered by the (owner_user, …) indexes of Lead and Assignment
    )
    owner_queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # Lead: (owner_queue, status); Assignment: a partial index
    )

    class Meta:
        abstract = True

    @staticmethod
    def exactly_one_owner(name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=Q(
                owner_dealer__isnull=False, owner_user__isnull=True, owner_queue__isnull=True
            )
            | Q(owner_dealer__isnull=True, owner_user__isnull=False, owner_queue__isnull=True)
            | Q(owner_dealer__isnull=True, owner_user__isnull=True, owner_queue__isnull=False),
            name=name,
            violation_error_message=_("A lead has exactly one owner: a dealer, a user or a queue."),
        )

    @property
    def owner(self):
        return self.owner_dealer or self.owner_user or self.owner_queue

    @property
    def owner_kind(self) -> str:
        if self.owner_dealer_id:
            return "dealer"
        if self.owner_user_id:
            return "user"
        return "queue"

    @property
    def owner_id(self):
        return self.owner_dealer_id or self.owner_user_id or self.owner_queue_id


class Lead(CountryCode, OwnerFields):
    """A sales-ready (or nurture) contact at a company, with exactly one owner."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACCEPTED = "accepted", _("Accepted")
        CONTACTED = "contacted", _("Contacted")
        MEETING = "meeting", _("Meeting")
        PROPOSAL = "proposal", _("Proposal")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        REJECTED = "rejected", _("Rejected")
        RECYCLED = "recycled", _("Recycled")
        NURTURE = "nurture", _("Nurture")

    OPEN_STATUSES = ("new", "accepted", "contacted", "meeting", "proposal")

    class Temperature(models.TextChoices):
        HOT = "hot", _("Hot (demo or price requested)")
        WARM = "warm", _("Warm (content download, webinar)")
        COLD = "cold", _("Cold")

    class Source(models.TextChoices):
        WEB_FORM = "web_form", _("Website inquiry form")
        API = "api", _("API")
        CSV = "csv", _("CSV import")
        DEALER = "dealer", _("Sent in by a dealer")
        MARKETING = "marketing", _("Marketing automation")
        EVENT = "event", _("Trade fair / event")
        PHONE = "phone", _("Phone / e-mail")

    # --- the company -------------------------------------------------------------------
    company_name = models.CharField(_("company"), max_length=200)
    company_normalized = models.CharField(max_length=200, editable=False)
    website = models.CharField(_("website"), max_length=200, blank=True)
    website_domain = models.CharField(max_length=120, blank=True, editable=False)
    email_domain = models.CharField(max_length=120, blank=True, editable=False)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    coc_number = models.CharField(_("chamber of commerce number"), max_length=30, blank=True)
    country = CountryField(_("country"))
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    postcode_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    city = models.CharField(_("city"), max_length=100, blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("matched account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        db_index=False,  # covered by lead_account_status
    )

    # --- the person (personal data: exported and erased on request) -------------------
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True)
    contact_role = models.CharField(_("job title"), max_length=100, blank=True)
    message = models.TextField(_("message"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )

    # --- the opportunity ---------------------------------------------------------------
    estimated_value = models.DecimalField(
        _("estimated value (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    temperature = models.CharField(
        _("temperature"), max_length=8, choices=Temperature.choices, default=Temperature.WARM
    )
    qualification = models.JSONField(_("qualification answers"), default=dict, blank=True)
    sales_ready = models.BooleanField(_("sales-ready"), default=True)

    # --- where it came from ------------------------------------------------------------
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # These references are empty on most leads: their indexes are partial (Meta), so a
    # lead without them costs no index entry (a lead row has many indexes to write).
    integration = models.ForeignKey(
        Integration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        db_index=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submitted_leads",
        db_index=False,
    )
    submitted_by_dealer = models.ForeignKey(
        "dealers.Dealer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submitted_leads",
        db_index=False,
    )

    # --- pipeline ----------------------------------------------------------------------
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step on"), null=True, blank=True)
    won_value = models.DecimalField(
        _("won value (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    close_reason = models.CharField(_("reason"), max_length=40, blank=True)
    close_note = models.CharField(_("note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # --- ownership: the decision is written only by the routing service, who handles
    # the lead within the dealer (dealer_assignee) only by leads.services.access_grants
    dealer_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The dealer colleague handling the lead, when the dealer admin set one."),
        db_index=False,  # partial index (Meta)
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    routing_rule = models.CharField(_("routing rule"), max_length=30, blank=True)
    routing_reason = models.JSONField(_("routing reason"), default=dict, blank=True)
    routing_candidates = models.JSONField(default=list, blank=True)

    # --- SLA clocks: deadline columns swept by the timer (``leads.services.sla``) ------
    first_update_due_at = models.DateTimeField(_("first update due"), null=True, blank=True)
    reminder_due_at = models.DateTimeField(null=True, blank=True)
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    recycle_due_at = models.DateTimeField(null=True, blank=True)
    # The prospect's after-hours confirmation, waiting to be e-mailed (the outbox: set
    # in the intake's transaction, cleared when it is sent; ``leads.services.sla``).
    confirmation_due_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at"]
        permissions = [("act_on_lead", _("Can accept, reject and update the lead"))]
        constraints = [
            OwnerFields.exactly_one_owner("lead_has_exactly_one_owner"),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="lead_source_external_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status="won") | Q(won_value__isnull=False),
                name="won_lead_has_value",
            ),
        ]
        indexes = [
            models.Index(fields=["owner_dealer", "-created_at"], name="lead_dealer_inbox"),
            models.Index(fields=["owner_dealer", "status"], name="lead_dealer_status"),
            # The dealer inbox's badge counts and "most urgent first": open leads only,
            # index-only on PostgreSQL (status and temperature ride along).
            models.Index(
                fields=["owner_dealer", "first_update_due_at"],
                include=["status", "temperature"],
                condition=Q(status__in=("new", "accepted", "contacted", "meeting", "proposal")),
                name="lead_dealer_open_sla",
            ),
            models.Index(fields=["owner_user", "status"], name="lead_user_status"),
            models.Index(fields=["owner_queue", "status"], name="lead_queue_status"),
            models.Index(fields=["created_at"], name="lead_created"),
            models.Index(fields=["company_normalized", "country"], name="lead_company"),
            models.Index(fields=["contact_email"], name="lead_contact_email"),
            models.Index(
                fields=["email_domain"], condition=~Q(email_domain=""), name="lead_email_domain"
            ),
            models.Index(
                fields=["website_domain"], condition=~Q(website_domain=""), name="lead_web_domain"
            ),
            models.Index(fields=["vat_number"], condition=~Q(vat_number=""), name="lead_vat"),
            models.Index(fields=["account", "status"], name="lead_account_status"),
            *(
                models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=index)
                for name, index in (
                    ("integration", "lead_integration"),
                    ("submitted_by", "lead_submitted_by"),
                    ("submitted_by_dealer", "lead_submitted_by_dealer"),
                    ("dealer_assignee", "lead_dealer_assignee"),
                )
            ),
            # Company lookup (``leads.services.lookup``): open leads by name (an ordered
            # range scan serves "starts with" with a LIMIT) and by postcode; partial, so
            # they stay small however many leads are closed.
            models.Index(
                fields=["company_normalized"],
                condition=Q(status__in=("new", "accepted", "contacted", "meeting", "proposal")),
                name="lead_open_company",
            ),
            models.Index(
                fields=["country", "postcode_number"],
                condition=Q(status__in=("new", "accepted", "contacted", "meeting", "proposal")),
                name="lead_open_postcode",
            ),
            models.Index(
                fields=["first_update_due_at"],
                condition=Q(first_update_due_at__isnull=False),
                name="lead_first_update_due",
            ),
            models.Index(
                fields=["reminder_due_at"],
                condition=Q(reminder_due_at__isnull=False),
                name="lead_reminder_due",
            ),
            models.Index(
                fields=["escalation_due_at"],
                condition=Q(escalation_due_at__isnull=False),
                name="lead_escalation_due",
            ),
            models.Index(
                fields=["recycle_due_at"],
                condition=Q(recycle_due_at__isnull=False),
                name="lead_recycle_due",
            ),
            models.Index(
                fields=["confirmation_due_at"],
                condition=Q(confirmation_due_at__isnull=False),
                name="lead_confirmation_due",
            ),
        ]

    def __str__(self):
        return f"{self.company_name} #{self.pk}"

    def save(self, *args, **kwargs):
        self.fill_lookup_columns()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("leads:detail", args=[self.pk])

    def fill_lookup_columns(self) -> None:
        """Normalised copies of the company identifiers, for indexed matching."""
        from leads.matching.normalize import (
            domain_from_email,
            domain_from_url,
            is_free_mail_domain,
            normalize_company_name,
        )

        self.company_normalized = normalize_company_name(self.company_name)
        website_domain = domain_from_url(self.website) or ""
        # "gmail.com" (or an address) typed as the website names no company
        self.website_domain = "" if is_free_mail_domain(website_domain) else website_domain
        self.email_domain = domain_from_email(self.contact_email) or ""
        self.contact_email = (self.contact_email or "").strip().lower()

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


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

    def __str__(self):
        return f"{self.lead_id} · {self.received_at:%Y-%m-%d %H:%M}"


class Assignment(OwnerFields):
    """An ownership stint: from the moment a lead gets an owner until it leaves them.
    Scorecards count stints, not leads (DESIGN.md, "Definitions")."""

    class EndReason(models.TextChoices):
        REJECTED = "rejected", _("Rejected")
        RECYCLED = "recycled", _("Recycled (no update in time)")
        REASSIGNED = "reassigned", _("Reassigned")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        NURTURE = "nurture", _("Moved to nurture")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    rule = models.CharField(max_length=30)
    started_at = models.DateTimeField(default=timezone.now)
    first_update_at = models.DateTimeField(null=True, blank=True)
    first_update_hours = models.FloatField(
        null=True, blank=True, help_text=_("Working hours from the start to the first update.")
    )
    first_update_in_sla = models.BooleanField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    estimated_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    won_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("ownership stint")
        verbose_name_plural = _("ownership stints")
        ordering = ["started_at"]
        constraints = [
            OwnerFields.exactly_one_owner("assignment_has_exactly_one_owner"),
            models.UniqueConstraint(
                fields=["lead"], condition=Q(ended_at__isnull=True), name="one_open_stint_per_lead"
            ),
        ]
        indexes = [
            models.Index(fields=["owner_dealer", "started_at"], name="stint_dealer_started"),
            models.Index(fields=["owner_user", "started_at"], name="stint_user_started"),
            models.Index(fields=["started_at"], name="stint_started"),
            models.Index(
                fields=["owner_queue"], condition=Q(owner_queue__isnull=False), name="stint_queue"
            ),
        ]

    def __str__(self):
        return f"{self.lead_id} → {self.owner} ({self.started_at:%Y-%m-%d})"


# --- object permissions (django-guardian, direct foreign keys as its docs recommend) --
# Written only by ``leads.services.access_grants``.
class LeadUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Lead, on_delete=models.CASCADE)


class LeadGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Lead, on_delete=models.CASCADE)


def default_rule_order() -> list[str]:
    return [
        "installed_base",
        "claim",
        "open_work",
        "deal_size",
        "sector",
        "territory",
        "fallback",
    ]


class Policy(models.Model):
    """The rules staff tune in admin: routing order and thresholds, duplicate window,
    SLA clocks and claim terms. One row (``Policy.current()``), defaults from DESIGN.md."""

    # Routing
    rule_order = models.JSONField(
        _("routing rule order"),
        default=default_rule_order,
        help_text=_(
            "Rules in the order they are tried: installed_base, claim, open_work, deal_size, "
            "sector, territory, fallback. Leads that are not sales-ready always go to nurture."
        ),
    )
    enterprise_threshold = models.DecimalField(
        _("enterprise threshold (EUR)"), max_digits=12, decimal_places=2, default=250000
    )
    team_fallback = models.BooleanField(
        _("round robin in the internal sales team before the pool"), default=True
    )
    duplicate_window_days = models.PositiveIntegerField(
        _("duplicate window (days)"),
        default=30,
        help_text=_(
            "A lead with the same e-mail or company as an open lead this recent is attached to it."
        ),
    )
    # SLA clocks (working days are 24 h each; hours count 08:30-17:30 working time)
    dealer_first_update_days = models.PositiveSmallIntegerField(
        _("dealer: first update within (working days)"), default=2
    )
    dealer_recycle_days = models.PositiveSmallIntegerField(
        _("dealer: recycle without update after (working days)"), default=5
    )
    hot_contact_hours = models.PositiveSmallIntegerField(
        _("direct sales: hot lead contact within (working hours)"), default=4
    )
    warm_contact_days = models.PositiveSmallIntegerField(
        _("direct sales: warm lead contact within (working days)"), default=1
    )
    action_reminder_days = models.PositiveSmallIntegerField(
        _("any owner: reminder without action after (working days)"), default=1
    )
    action_escalation_days = models.PositiveSmallIntegerField(
        _("any owner: escalate to the manager after (working days)"), default=2
    )
    workday_start = models.TimeField(_("working day starts"), default=datetime.time(8, 30))
    workday_end = models.TimeField(_("working day ends"), default=datetime.time(17, 30))
    # Claims
    claim_days = models.PositiveSmallIntegerField(_("claim protects for (days)"), default=90)
    claim_renewals = models.PositiveSmallIntegerField(_("claim renewals allowed"), default=1)
    claim_reminder_days = models.PositiveSmallIntegerField(
        _("remind dealers before a claim expires (days)"), default=7
    )
    max_active_claims = models.PositiveSmallIntegerField(
        _("active claims per dealer at most"), default=50
    )
    auto_approve_clean_claims = models.BooleanField(
        _("approve claims without conflicts automatically"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policy")

    def __str__(self):
        return str(_("Routing, SLA and claim policy"))

    def clean(self):
        allowed = set(default_rule_order())
        order = list(self.rule_order or [])
        unknown = [name for name in order if name not in allowed]
        if unknown or len(set(order)) != len(order):
            raise ValidationError(
                {
                    "rule_order": _("Use each of these rules at most once: %(rules)s")
                    % {"rules": ", ".join(sorted(allowed))}
                }
            )
        if self.workday_end <= self.workday_start:
            raise ValidationError({"workday_end": _("The working day must end after it starts.")})

    @classmethod
    def current(cls) -> "Policy":
        """The policy row, cached in the process until someone changes it."""
        from leads import world

        return world.cached("policy", lambda: cls.objects.get_or_create(pk=1)[0])


class ShareCounter(models.Model):
    """How many leads each owner received within one weighted-share scope (a territory,
    a sector within a territory, a team). The routing service locks a scope's rows
    while it decides, so concurrent leads still split exactly by weight."""

    scope = models.CharField(max_length=60)
    owner = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("share counter")
        verbose_name_plural = _("share counters")
        constraints = [
            models.UniqueConstraint(fields=["scope", "owner"], name="share_counter_unique")
        ]

    def __str__(self):
        return f"{self.scope} {self.owner}: {self.count}"


class ImportJob(models.Model):
    """A CSV file of leads being imported in the background, with its row report."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(upload_to="imports/%Y/%m/")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_leads = models.PositiveIntegerField(default=0)
    existing_leads = models.PositiveIntegerField(default=0)
    duplicate_leads = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    # [{"line": 12, "errors": {"postcode": ["…"]}}], the first 1,000
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="import_pending"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def problems(self) -> list[dict]:
        """``errors`` for people: each field named by its label ("Company", not
        ``company_name``); errors about the whole row have no label."""
        fields = {f.name: f for f in Lead._meta.get_fields() if hasattr(f, "verbose_name")}
        labels = {"qualification": _("qualification")}
        rows = []
        for row in self.errors:
            items = []
            for name, messages in row.get("errors", {}).items():
                if name in ("__all__", "non_field_errors"):
                    label = ""
                elif name in fields:
                    label = capfirst(fields[name].verbose_name)
                else:
                    label = capfirst(labels.get(name, name))
                # stored messages, each shown in the reader's language
                items.append({"label": label, "messages": [render_message(m) for m in messages]})
            rows.append({"line": row.get("line"), "items": items})
        return rows


class SweepRun(models.Model):
    """One run of the SLA sweep: when, and what it did (the "Timers" admin page)."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateTimeField(help_text=_("The moment the sweep acted for (--now)."))
    reminders = models.PositiveIntegerField(default=0)
    escalations = models.PositiveIntegerField(default=0)
    recycles = models.PositiveIntegerField(default=0)
    claim_reminders = models.PositiveIntegerField(default=0)
    claim_expiries = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("timer sweep")
        verbose_name_plural = _("timers")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M:%S}"
