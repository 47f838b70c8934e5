"""People: the user (signs in with an e-mail address), internal staff profiles,
roles, and the in-app notifications they receive.

A user is either internal staff (with a ``StaffProfile``) or a member of one dealer
(``dealers.DealerMembership``), never both. Roles are Django groups created by a data
migration; the profile or membership ``role`` is the source and keeps the groups in
step when it is saved.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager, Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from portal.choices import Language, Sector
from portal.db import SignalledQuerySet
from portal.fields import ChoiceListField
from portal.regions import WorkingCalendar


class Role(models.TextChoices):
    """Every role is a Django group of the same name (created by migration 0002)."""

    DEALER_USER = "dealer_user", _("Dealer user")
    DEALER_ADMIN = "dealer_admin", _("Dealer admin")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    INTERNAL_SALES = "internal_sales", _("Internal sales / account manager")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SENIOR_REP = "senior_rep", _("Senior / enterprise rep")

    @classmethod
    def staff_roles(cls) -> list["Role"]:
        return [cls.CHANNEL_MANAGER, cls.INTERNAL_SALES, cls.SALES_MANAGER, cls.SENIOR_REP]

    @classmethod
    def dealer_roles(cls) -> list["Role"]:
        return [cls.DEALER_USER, cls.DEALER_ADMIN]


ROLE_GROUP_NAMES = {
    Role.DEALER_USER: "Dealer user",
    Role.DEALER_ADMIN: "Dealer admin",
    Role.CHANNEL_MANAGER: "Channel manager",
    Role.INTERNAL_SALES: "Internal sales",
    Role.SALES_MANAGER: "Sales manager",
    Role.SENIOR_REP: "Senior rep",
}


def sync_role_groups(user, roles) -> None:
    """Make the user's role groups exactly ``roles`` (other groups are left alone)."""
    wanted = {ROLE_GROUP_NAMES[Role(r)] for r in roles}
    role_groups = Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
    current = set(user.groups.filter(name__in=ROLE_GROUP_NAMES.values()))
    keep = {g for g in role_groups if g.name in wanted}
    if stale := current - keep:
        user.groups.remove(*stale)
    if missing := keep - current:
        user.groups.add(*missing)


class UserManager(BaseUserManager.from_queryset(SignalledQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in with an e-mail address and a password (plus TOTP for staff)."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )

    class EmailFrequency(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately")
        DAILY = "daily", _("Daily digest")
        OFF = "off", _("Never (in the portal only)")

    email_frequency = models.CharField(
        _("e-mail notifications"),
        max_length=12,
        choices=EmailFrequency.choices,
        default=EmailFrequency.IMMEDIATE,
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["name"]

    def __str__(self):
        return self.name or self.email

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email

    @property
    def dealer_membership(self):
        """The user's ``DealerMembership`` or None (cached by ``select_related``)."""
        try:
            return self.dealermembership
        except models.ObjectDoesNotExist:
            return None

    @property
    def staff_profile(self):
        try:
            return self.staffprofile
        except models.ObjectDoesNotExist:
            return None

    @property
    def is_dealer_user(self) -> bool:
        return self.dealer_membership is not None

    @property
    def is_internal(self) -> bool:
        """Internal staff: has a staff profile (or is a superuser), is no dealer member."""
        return not self.is_dealer_user and (self.staff_profile is not None or self.is_superuser)

    def has_role(self, *roles) -> bool:
        if membership := self.dealer_membership:
            return membership.role in roles
        if profile := self.staff_profile:
            return profile.role in roles
        return False


class StaffProfile(WorkingCalendar):
    """An internal employee: channel manager, internal sales, sales manager or senior rep."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(
        _("role"), max_length=32, choices=[(r.value, r.label) for r in Role.staff_roles()]
    )
    is_account_manager = models.BooleanField(
        _("account manager"),
        default=False,
        help_text=_("Looks after existing customers (installed base)."),
    )
    sectors = ChoiceListField(_("sectors"), item_choices=Sector.choices)
    countries = CountryField(
        _("countries"),
        multiple=True,
        blank=True,
        help_text=_("Countries this rep covers; none covers every country."),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    out_of_office_from = models.DateTimeField(_("out of office from"), null=True, blank=True)
    out_of_office_until = models.DateTimeField(_("out of office until"), null=True, blank=True)
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("backup while out of office"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backup_for",
    )

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(out_of_office_until__isnull=True)
                | Q(out_of_office_from__isnull=True)
                | Q(out_of_office_until__gt=models.F("out_of_office_from")),
                name="staffprofile_ooo_period_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(backup=models.F("user")), name="staffprofile_backup_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        sync_role_groups(self.user, [self.role])
        if not self.user.is_staff:
            type(self.user).objects.filter(pk=self.user_id).update(is_staff=True)
            self.user.is_staff = True

    @property
    def title(self) -> str:
        """The role as one says it, once: internal sales is "Account manager" or "Internal
        sales" (the role's label names both); another role that also looks after
        customers adds "account manager"."""
        if self.role == Role.INTERNAL_SALES:
            return str(_("Account manager") if self.is_account_manager else _("Internal sales"))
        if self.is_account_manager:
            return f"{self.get_role_display()} · {_('account manager')}"
        return str(self.get_role_display())

    def is_out_of_office(self, at=None) -> bool:
        at = at or timezone.now()
        if self.out_of_office_from is None and self.out_of_office_until is None:
            return False
        starts = self.out_of_office_from is None or self.out_of_office_from <= at
        ends = self.out_of_office_until is None or at < self.out_of_office_until
        return starts and ends


class Notification(models.Model):
    """A message to one person, written in the same transaction as the event that
    caused it and delivered (in-app at once, by e-mail by a task) afterwards.

    ``emailed_at`` set means the e-mail went out; delivery claims rows with a
    conditional update, so a notification is e-mailed exactly once even when the
    delivery task runs twice.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("New lead assigned")
        REMINDER = "reminder", _("Reminder")
        ESCALATION = "escalation", _("Escalation")
        RECYCLED = "recycled", _("Lead taken back")
        CLAIM = "claim", _("Claim")
        INVITATION = "invitation", _("Invitation")
        INFO = "info", _("Information")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # A translatable message: {"msgid": "...", "params": {...}}, rendered in the
    # recipient's language when shown or e-mailed.
    subject = models.JSONField()
    body = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    send_email = models.BooleanField(default=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_inbox",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(send_email=True, emailed_at__isnull=True),
                name="notification_outbox",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"
