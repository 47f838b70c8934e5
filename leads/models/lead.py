"""The lead, its owner (a dealer, an internal user or a named queue), its ownership
stints (``Assignment``) and its object permissions.

The owner of a lead is exactly one of a dealer, an internal user or a named queue
(a database check constraint). Only ``leads.services.routing`` changes it, in one
transaction with the event, the ownership stint, the object permissions and the SLA
deadline columns."""

import functools

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from leads.models.accounts import Account, CountryCode
from leads.models.integrations import Integration
from portal.choices import Language, Sector
from portal.db import SignalledQuerySet


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

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

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


class CloseReason(models.TextChoices):
    """Why a lead was rejected or lost (reported so the lead definition can improve).

    The values of ``Lead.close_reason`` and of a rejection event's ``data["reason"]``;
    the pipeline (``leads.services.pipeline``) checks them, the reports read them."""

    NOT_OUR_PRODUCT_LINE = "not_our_product", _("Not our product line")
    NO_BUDGET = "no_budget", _("No budget")
    NO_CONTACT = "no_contact", _("No contact possible")
    COMPETITOR_CUSTOMER = "competitor_customer", _("Already a customer of a competitor")
    DUPLICATE = "duplicate", _("Duplicate")
    NOT_A_LEAD = "not_a_lead", _("Not a real lead")
    OTHER = "other", _("Other (please explain)")


_ANY_PK = "98765432109876543210"  # stands for a lead's id in ``_detail_url``


@functools.lru_cache(maxsize=16)
def _detail_url(prefix: str, urlconf) -> str:
    return reverse("leads:detail", args=[_ANY_PK], urlconf=urlconf)


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
    close_reason = models.CharField(_("reason"), max_length=40, blank=True)  # a CloseReason
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
        # (``reverse`` once per prefix and URLconf: each new owner's notification holds
        # this address, and reversing it cost an intake about 2 % of its CPU)
        return _detail_url(get_script_prefix(), get_urlconf()).replace(_ANY_PK, str(self.pk))

    def fill_lookup_columns(self) -> None:
        """Normalised copies of the company identifiers, for indexed matching. A lead
        whose identifiers and copies are as the last fill left them is not filled again
        (a new lead is filled when it is built and again when it is written: a batch
        of 500 spent 5 % of its time on the second)."""
        if self.__dict__.get("_filled") == self._lookup_state():
            return
        from leads.matching.normalize import lookup_columns

        columns = lookup_columns(self.company_name, self.website, self.contact_email)
        self.company_normalized, self.website_domain, self.email_domain = columns[:3]
        self.contact_email = columns.contact_email
        self._filled = self._lookup_state()

    def _lookup_state(self) -> tuple:
        return (
            self.company_name,
            self.website,
            self.contact_email,
            self.company_normalized,
            self.website_domain,
            self.email_domain,
        )

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


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
