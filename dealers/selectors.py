"""Reads that the dealer pages and the claims API share. Views never build claim or
team querysets themselves."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from dealers import scorecards
from dealers.models import Claim, DealerMembership
from dealers.services.checks import CLAIM, CUSTOMER, OPEN_LEAD
from leads.models import Account, Lead, Policy

ACTIVE = "active"
PENDING = "pending"
ENDED = "ended"
CLAIM_FILTERS = (ACTIVE, PENDING, ENDED)


def claims_visible_to(user) -> QuerySet[Claim]:
    """Every claim this user may see: a dealer member its own dealer's claims; staff
    with the model-wide view permission (channel manager, internal sales, sales
    manager, senior rep) all claims; nobody else any."""
    claims = Claim.objects.all()
    if not user.is_authenticated or not user.is_active:
        return claims.none()
    if membership := getattr(user, "dealer_membership", None):
        return claims.filter(dealer_id=membership.dealer_id)
    if user.is_internal and user.has_perm("dealers.view_claim"):
        return claims
    return claims.none()


def claims_filtered(claims: QuerySet[Claim], show: str, *, now: datetime) -> QuerySet[Claim]:
    """Active (approved, unexpired), pending review, or ended (everything else)."""
    active = Q(status=Claim.Status.APPROVED, expires_at__gt=now)
    if show == ACTIVE:
        return claims.filter(active).order_by("expires_at", "pk")
    if show == PENDING:
        return claims.filter(status=Claim.Status.PENDING).order_by("-submitted_at", "pk")
    if show == ENDED:
        return (
            claims.exclude(active)
            .exclude(status=Claim.Status.PENDING)
            .order_by("-submitted_at", "-pk")
        )
    return claims.order_by("-submitted_at", "-pk")


def claim_counts(claims: QuerySet[Claim], *, now: datetime, policy: Policy) -> dict[str, int]:
    """Tab counts in one query, and how many active claims expire within the reminder
    period."""
    soon = now + timedelta(days=policy.claim_reminder_days)
    active = Q(status=Claim.Status.APPROVED, expires_at__gt=now)
    return claims.aggregate(
        active=Count("pk", filter=active),
        pending=Count("pk", filter=Q(status=Claim.Status.PENDING)),
        ended=Count("pk", filter=~active & ~Q(status=Claim.Status.PENDING)),
        expiring=Count("pk", filter=active & Q(expires_at__lte=soon)),
    )


def team_of(dealer_id: int) -> list[DealerMembership]:
    """The dealer's people, active first, each with ``open_leads``: how many open leads
    of the dealer that person handles (two queries, however large the team)."""
    members = list(
        DealerMembership.objects.filter(dealer_id=dealer_id)
        .select_related("user")
        .order_by("-user__is_active", "user__name", "pk")
    )
    handled = dict(
        Lead.objects.filter(
            owner_dealer_id=dealer_id,
            status__in=Lead.OPEN_STATUSES,
            dealer_assignee__isnull=False,
        )
        .values("dealer_assignee")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("dealer_assignee", "n")
    )
    for member in members:
        member.open_leads = handled.get(member.user_id, 0)
    return members


def claims_for_review() -> QuerySet[Claim]:
    """Pending claims for the channel manager's review queue, oldest first."""
    return (
        Claim.objects.filter(status=Claim.Status.PENDING)
        .select_related("dealer", "account", "submitted_by")
        .order_by("submitted_at", "pk")
    )


def conflict_sides(claims: Iterable[Claim]) -> dict[int, list[dict]]:
    """Both sides of each claim's recorded conflicts, for staff only (names included):
    ``{claim_id: [{"kind": "customer", "account": Account}, {"kind": "claim", "claim":
    Claim (with dealer, submitter and account, all the review shows of the claim under
    review)}, {"kind": "open_lead", "lead": Lead (with owner)}]}``.
    Three queries for any number of claims; rows deleted since are left out."""
    claims = list(claims)
    wanted = {CUSTOMER: set(), CLAIM: set(), OPEN_LEAD: set()}
    key = {CUSTOMER: "account_id", CLAIM: "claim_id", OPEN_LEAD: "lead_id"}
    for claim in claims:
        for conflict in claim.conflicts or ():
            kind = conflict.get("kind")
            if kind in wanted and conflict.get(key[kind]) is not None:
                wanted[kind].add(conflict[key[kind]])
    found = {
        CUSTOMER: Account.objects.in_bulk(wanted[CUSTOMER]) if wanted[CUSTOMER] else {},
        CLAIM: Claim.objects.select_related("dealer", "submitted_by", "account").in_bulk(
            wanted[CLAIM]
        )
        if wanted[CLAIM]
        else {},
        OPEN_LEAD: Lead.objects.select_related("owner_dealer", "owner_user", "owner_queue").in_bulk(
            wanted[OPEN_LEAD]
        )
        if wanted[OPEN_LEAD]
        else {},
    }
    name = {CUSTOMER: "account", CLAIM: "claim", OPEN_LEAD: "lead"}
    sides: dict[int, list[dict]] = {}
    for claim in claims:
        rows = []
        for conflict in claim.conflicts or ():
            kind = conflict.get("kind")
            if kind in found and (row := found[kind].get(conflict.get(key[kind]))) is not None:
                rows.append({"kind": kind, name[kind]: row, "recorded": conflict})
        sides[claim.pk] = rows
    return sides


def scorecard_page(*, dealer_id: int, now: datetime) -> dict:
    """What both scorecard pages show (the dealer's own and the channel manager's): the
    scorecard, six months of trend and its chart data, and the rates in percent."""
    card = scorecards.dealer_scorecard(dealer_id=dealer_id, now=now)
    trend = scorecards.dealer_trend(dealer_id=dealer_id, months=6, now=now)
    percent = scorecards.percent
    chart = {
        "labels": [point.month.isoformat() for point in trend],
        "received": [point.received for point in trend],
        "won": [point.won for point in trend],
        "follow_up": [percent(point.follow_up_rate) for point in trend],
        "conversion": [percent(point.conversion) for point in trend],
        "follow_up_target": percent(float(scorecards.FOLLOW_UP_TARGET)),
        "text": {
            "received": _("Leads received"),
            "won": _("Won"),
            "follow_up": _("Follow-up within SLA (%)"),
            "conversion": _("Conversion (%)"),
            "target": _("Follow-up target"),
        },
    }
    return {
        "card": card,
        "answers": scorecards.dealer_answers(dealer_id=dealer_id, start=card.start, end=card.end),
        "trend": trend,
        "chart": chart,
        "follow_up": percent(card.follow_up_rate),
        "forgotten": percent(card.forgotten_rate),
        "conversion": percent(card.conversion),
        "window_days": scorecards.WINDOW_DAYS,
    }
