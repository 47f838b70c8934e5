"""The rules staff tune in admin (``Policy``), the territory split counters and the SLA
sweep's runs."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.db import SignalledQuerySet


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
    # Privacy
    contact_after_accept = models.BooleanField(
        _("show the contact to a dealer only after it accepts"),
        default=False,
        help_text=_(
            "A dealer sees a new lead's company, place, interest and value, and its contact "
            "person, e-mail, phone and message only once it has accepted the lead; a dealer "
            "that rejects never saw them."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = SignalledQuerySet.as_manager()  # bulk writes invalidate the world

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
