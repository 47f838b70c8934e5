"""Reads that pages and the API share. Views never build lead querysets themselves."""

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from leads.models import Lead
from portal.users.models import Role

DUE_SOON = timedelta(hours=8)


def leads_visible_to(user) -> QuerySet[Lead]:
    """Every lead this user may see: a dealer's own leads, all leads for the channel
    and sales managers, the own leads of an internal rep. Nothing for anyone else."""
    leads = Lead.objects.all()
    if not user.is_authenticated or not user.is_active:
        return leads.none()
    if membership := user.dealer_membership:
        return leads.filter(owner_dealer_id=membership.dealer_id)
    if user.is_superuser or user.has_role(Role.CHANNEL_MANAGER, Role.SALES_MANAGER):
        return leads
    if user.is_internal:
        return leads.filter(owner_user=user)
    return leads.none()


def lead_counts(leads: QuerySet[Lead], *, now=None) -> dict[str, int]:
    """Badge counts in one query: open, new, due soon and overdue first updates."""
    now = now or timezone.now()
    return leads.aggregate(
        open=Count("pk", filter=Q(status__in=Lead.OPEN_STATUSES)),
        new=Count("pk", filter=Q(status=Lead.Status.NEW)),
        due_soon=Count(
            "pk",
            filter=Q(first_update_due_at__gt=now, first_update_due_at__lte=now + DUE_SOON),
        ),
        overdue=Count("pk", filter=Q(first_update_due_at__lte=now)),
    )


def leads_needing_action(leads: QuerySet[Lead], *, limit: int = 8) -> list[Lead]:
    """Open leads with a running first-update clock, the most urgent first."""
    return list(
        leads.filter(first_update_due_at__isnull=False)
        .select_related("owner_dealer", "owner_user", "owner_queue")
        .order_by("first_update_due_at")[:limit]
    )
