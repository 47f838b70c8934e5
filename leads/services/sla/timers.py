"""What the Timers admin page shows."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_noop

from dealers.models import Claim
from leads.models import Lead, SweepRun


def timers_overview(*, now: datetime | None = None, upcoming: int = 5) -> dict:
    """What the Timers admin page shows: per clock how many are overdue (the sweep has
    not run since), how many fall due in the next 24 hours, and the next few."""
    now = now or timezone.now()
    clocks = [
        ("reminder", gettext_noop("Reminders"), Lead.objects.all(), "reminder_due_at"),
        ("escalation", gettext_noop("Escalations"), Lead.objects.all(), "escalation_due_at"),
        ("recycle", gettext_noop("Recycles"), Lead.objects.all(), "recycle_due_at"),
        ("claim_reminder", gettext_noop("Claim reminders"), Claim.objects.all(), "reminder_due_at"),
        (
            "claim_expiry",
            gettext_noop("Claim expiries"),
            Claim.objects.filter(status=Claim.Status.APPROVED),
            "expires_at",
        ),
    ]
    rows = []
    for key, label, queryset, column in clocks:
        due = queryset.filter(**{f"{column}__isnull": False})
        rows.append(
            {
                "key": key,
                "label": label,
                "overdue": due.filter(**{f"{column}__lte": now}).count(),
                "next_day": due.filter(
                    **{f"{column}__gt": now, f"{column}__lte": now + timedelta(days=1)}
                ).count(),
                "next": [
                    {"id": pk, "name": name, "at": at}
                    for pk, name, at in due.filter(**{f"{column}__gt": now})
                    .order_by(column)
                    .values_list("pk", "company_name", column)[:upcoming]
                ],
                "model": queryset.model._meta.model_name,
            }
        )
    last = SweepRun.objects.order_by("-started_at").first()
    return {
        "now": now,
        "clocks": rows,
        "last": last,
        # run by hand with --now: the moment it acted for is not when it ran
        "replayed": last is not None and abs(last.as_of - last.started_at) > timedelta(minutes=1),
    }
