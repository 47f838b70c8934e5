"""Reads that pages and the API share. Views never build lead querysets themselves."""

from datetime import timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from leads.models import Lead
from portal.users.models import Notification, Role, User
from portal.users.selectors import team_of

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
    # Every count is about open leads (closed ones have no clock): read only those, and
    # count a column of the lead_dealer_open_sla index, so PostgreSQL answers from the
    # index alone (status is never null).
    return leads.filter(status__in=Lead.OPEN_STATUSES).aggregate(
        open=Count("status"),
        new=Count("status", filter=Q(status=Lead.Status.NEW)),
        due_soon=Count(
            "status",
            filter=Q(first_update_due_at__gt=now, first_update_due_at__lte=now + DUE_SOON),
        ),
        overdue=Count("status", filter=Q(first_update_due_at__lte=now)),
    )


def leads_needing_action(leads: QuerySet[Lead], *, limit: int = 8) -> list[Lead]:
    """Open leads with a running first-update clock, the most urgent first."""
    return list(
        leads.filter(first_update_due_at__isnull=False)
        .select_related("owner_dealer", "owner_user", "owner_queue")
        .order_by("first_update_due_at")[:limit]
    )


def lead_for_user(user, pk: int) -> Lead | None:
    """One lead this user may see, with what its page shows, or None."""
    return (
        leads_visible_to(user)
        .select_related(
            "owner_dealer",
            "owner_user",
            "owner_queue",
            "account",
            "account__serving_dealer",
            "account__account_manager",
            "dealer_assignee",
        )
        .filter(pk=pk)
        .first()
    )


TABLE_FIELDS = (
    "id",
    "company_name",
    "city",
    "postcode",
    "country",
    "sector",
    "status",
    "temperature",
    "estimated_value",
    "first_update_due_at",
    "next_step",
    "next_step_on",
    "created_at",
    "contact_name",
    "contact_email",
    "contact_phone",
    "owner_dealer_id",
    "owner_user_id",
    "owner_queue_id",
    "dealer_assignee__name",
)


def leads_for_table(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """A list of leads with what the inbox table and its export show, in one query per
    page (the routing explanation and other large columns stay in the database)."""
    return leads.select_related("dealer_assignee").only(*TABLE_FIELDS)


def leads_for_api(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """Leads with every field the dealer API returns, in one query per page."""
    return leads.select_related("dealer_assignee")


def leads_owned_by_user(user) -> QuerySet[Lead]:
    """An internal rep's own leads ("My leads")."""
    return leads_visible_to(user).filter(owner_user_id=user.pk)


def leads_of_team(manager: User) -> QuerySet[Lead]:
    """A manager's view of direct sales: the leads of their team (``team_of``) and their
    own, not the whole channel's."""
    return Lead.objects.filter(Q(owner_user__in=team_of(manager)) | Q(owner_user=manager))


def leads_escalated_to(user: User, *, limit: int = 8) -> tuple[int, list[Lead]]:
    """Open leads whose current owner was escalated to ``user`` since they got the lead:
    how many, and the most recently escalated ``limit`` of them."""
    escalations = Notification.objects.filter(
        Q(created_at__gte=F("lead__assigned_at")) | Q(lead__assigned_at__isnull=True),
        recipient=user,
        kind=Notification.Kind.ESCALATION,
        lead__status__in=Lead.OPEN_STATUSES,
    )
    count = escalations.values("lead_id").distinct().count()
    leads: dict[int, Lead] = {}
    newest_first = escalations.select_related("lead", "lead__owner_user").order_by("-created_at")
    for note in newest_first[: limit * 5]:
        leads.setdefault(note.lead_id, note.lead)
        if len(leads) == limit:
            break
    return count, list(leads.values())


def colleagues_for_hand_over(dealer_id: int | None) -> QuerySet[User]:
    """The people of a dealer its admin can hand a lead to: active, and signed up. A
    colleague who has not accepted the invitation (no password yet) cannot sign in to
    act on it, so is not one of them."""
    return (
        User.objects.filter(dealermembership__dealer_id=dealer_id, is_active=True)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exclude(password="")
        .order_by("name")
    )


def leads_sent_in_by(dealer_id: int) -> QuerySet[Lead]:
    """Leads a dealer passed on to us (it follows their status, not their owner)."""
    return Lead.objects.filter(submitted_by_dealer_id=dealer_id).order_by("-created_at")


def lead_timeline(lead: Lead) -> QuerySet:
    """The lead's events, newest first, with their actors and the actors' dealers."""
    return lead.events.select_related("actor", "actor__dealermembership").order_by("-at", "-id")
