"""Dealer scorecards, monthly trends and the performance weight (DESIGN.md, "Scorecard
measures" and "Performance weight").

Scorecards count ownership stints (``leads.Assignment``), not leads: a recycled lead
counts against the dealer that let it lie and for the one that picked it up. All
dealers' scorecards come from one grouped query over the stints (the
``(owner_dealer, started_at)`` index), one over dealers with their active claims, and on
SQLite one more for the medians (PostgreSQL computes them in the grouped query with
``percentile_cont``). Nothing loops per dealer, so the channel manager's table of forty
dealers costs the same three queries as one dealer's own page.

``performance_weight`` is a pure function of a scorecard.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dealers.models import Claim, Dealer
from leads.models import Assignment, LeadEvent
from portal.db import Median

WINDOW_DAYS = 90
FOLLOW_UP_TARGET = Decimal("0.80")
TARGET_CONVERSION = Decimal("0.20")
MIN_SETTLED_STINTS = 10
WEIGHT_MIN = Decimal("0.25")
WEIGHT_MAX = Decimal("2.00")
NEUTRAL_WEIGHT = Decimal("1.00")
ZERO = Decimal("0")

END = Assignment.EndReason


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent(rate: float | None) -> float | None:
    """A rate as a percentage with one decimal, as the pages show it (None stays None)."""
    return None if rate is None else round(rate * 100, 1)


@dataclass(frozen=True)
class Scorecard:
    """One dealer's figures over stints started in ``[start, end)``.

    ``measured`` are those stints whose first-update deadline has passed by ``now``
    (the follow-up and forgotten-lead rates use them); ``open_stints`` and
    ``pipeline_value`` are the dealer's current open stints, whenever they started;
    ``claims`` are its active approved claims at ``now``."""

    dealer_id: int
    dealer_name: str
    start: datetime
    end: datetime
    received: int = 0
    measured: int = 0
    followed_up_in_sla: int = 0
    median_first_update_hours: float | None = None
    recycled: int = 0
    rejected: int = 0
    won: int = 0
    lost: int = 0
    won_value: Decimal = ZERO
    open_stints: int = 0
    pipeline_value: Decimal = ZERO
    claims: int = 0

    @property
    def follow_up_rate(self) -> float | None:
        """Share of measured stints with a first update within the SLA."""
        return _rate(self.followed_up_in_sla, self.measured)

    @property
    def forgotten_rate(self) -> float | None:
        """Share of measured stints recycled by the 5-working-day rule."""
        return _rate(self.recycled, self.measured)

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def conversion(self) -> float | None:
        """won / (won + lost) over closed stints."""
        return _rate(self.won, self.closed)

    @property
    def win_rate(self) -> float | None:
        """won / stints received."""
        return _rate(self.won, self.received)

    @property
    def settled(self) -> int:
        """Stints that ended by the dealer's hand or by the clock: won, lost, rejected,
        recycled. The performance weight needs at least ``MIN_SETTLED_STINTS``."""
        return self.won + self.lost + self.rejected + self.recycled

    def as_inputs(self) -> dict:
        """The figures as JSON (e.g. ``WeightChange.inputs``)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "received": self.received,
            "measured": self.measured,
            "followed_up_in_sla": self.followed_up_in_sla,
            "follow_up_rate": self.follow_up_rate,
            "won": self.won,
            "lost": self.lost,
            "rejected": self.rejected,
            "recycled": self.recycled,
            "conversion": self.conversion,
            "settled": self.settled,
        }


def scorecard_window(*, now: datetime, days: int = WINDOW_DAYS) -> tuple[datetime, datetime]:
    """The trailing window ``[now - days, now)``."""
    return now - timedelta(days=days), now


def _stint_conditions(*, start: datetime, end: datetime, now: datetime) -> dict[str, Q]:
    window = Q(started_at__gte=start, started_at__lt=end)
    measured = window & (Q(sla_due_at__isnull=True) | Q(sla_due_at__lte=now))
    return {"window": window, "measured": measured, "open": Q(ended_at__isnull=True)}


def _dealer_scope(*, dealer_ids, country, sector):
    dealers = Dealer.objects.all()
    if dealer_ids is not None:
        dealers = dealers.filter(pk__in=list(dealer_ids))
    if country:
        dealers = dealers.filter(countries__contains=str(country).upper())
    if sector:
        # A JSON list of codes on both databases: match the quoted code in its text.
        dealers = dealers.filter(sectors__icontains=f'"{sector}"')
    return dealers


def dealer_scorecards(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    dealer_ids: Iterable[int] | None = None,
    country: str | None = None,
    sector: str | None = None,
) -> list[Scorecard]:
    """A scorecard for every dealer in scope (all dealers, or those in ``dealer_ids``,
    serving ``country``, specialised in ``sector``), ordered by dealer name, zeros
    included. Over stints started in ``[start, end)``; deadlines judged at ``now``."""
    dealers = _dealer_scope(dealer_ids=dealer_ids, country=country, sector=sector)
    # 1. The dealers in scope with their active approved claims.
    rows = (
        dealers.annotate(
            active_claims=Count(
                "claims",
                filter=Q(claims__status=Claim.Status.APPROVED, claims__expires_at__gt=now),
            )
        )
        .order_by("name", "pk")
        .values_list("pk", "name", "active_claims")
    )
    scope = [(pk, name, claims) for pk, name, claims in rows]
    if not scope:
        return []
    ids = [pk for pk, _name, _claims in scope]
    when = _stint_conditions(start=start, end=end, now=now)
    window, measured, open_ = when["window"], when["measured"], when["open"]
    on_postgres = connection.vendor == "postgresql"
    aggregates = {
        "received": Count("pk", filter=window),
        "measured": Count("pk", filter=measured),
        "in_sla": Count("pk", filter=measured & Q(first_update_in_sla=True)),
        "recycled": Count("pk", filter=window & Q(end_reason=END.RECYCLED)),
        "rejected": Count("pk", filter=window & Q(end_reason=END.REJECTED)),
        "won": Count("pk", filter=window & Q(end_reason=END.WON)),
        "lost": Count("pk", filter=window & Q(end_reason=END.LOST)),
        "won_value": Sum("won_value", filter=window & Q(end_reason=END.WON)),
        "open": Count("pk", filter=open_),
        "pipeline": Sum("estimated_value", filter=open_),
    }
    if on_postgres:
        aggregates["median"] = Median("first_update_hours", filter=window)
    # 2. One grouped query over the stints of every dealer in scope.
    stints = (
        Assignment.objects.filter(owner_dealer_id__in=ids)
        .filter(window | open_)
        .values("owner_dealer_id")
        .annotate(**aggregates)
        .order_by()
    )
    figures = {row["owner_dealer_id"]: row for row in stints}
    # 3. On SQLite the medians come from one list of hours.
    medians = {} if on_postgres else _medians(ids, window)
    cards = []
    for pk, name, claims in scope:
        row = figures.get(pk, {})
        cards.append(
            Scorecard(
                dealer_id=pk,
                dealer_name=name,
                start=start,
                end=end,
                received=row.get("received", 0),
                measured=row.get("measured", 0),
                followed_up_in_sla=row.get("in_sla", 0),
                median_first_update_hours=row.get("median") if on_postgres else medians.get(pk),
                recycled=row.get("recycled", 0),
                rejected=row.get("rejected", 0),
                won=row.get("won", 0),
                lost=row.get("lost", 0),
                won_value=row.get("won_value") or ZERO,
                open_stints=row.get("open", 0),
                pipeline_value=row.get("pipeline") or ZERO,
                claims=claims,
            )
        )
    return cards


def _medians(ids: list[int], window: Q) -> dict[int, float]:
    hours: dict[int, list[float]] = defaultdict(list)
    rows = Assignment.objects.filter(
        window, owner_dealer_id__in=ids, first_update_hours__isnull=False
    ).values_list("owner_dealer_id", "first_update_hours")
    for dealer_id, value in rows.order_by():
        hours[dealer_id].append(value)
    return {dealer_id: statistics.median(values) for dealer_id, values in hours.items()}


def dealer_scorecard(*, dealer_id: int, now: datetime, days: int = WINDOW_DAYS) -> Scorecard:
    """One dealer's scorecard over the trailing ``days`` (its own scorecard page)."""
    start, end = scorecard_window(now=now, days=days)
    cards = dealer_scorecards(start=start, end=end, now=now, dealer_ids=[dealer_id])
    if not cards:
        raise Dealer.DoesNotExist(dealer_id)
    return cards[0]


@dataclass(frozen=True)
class Answers:
    """How a dealer's people answered new leads, and how many of those answers came from
    the Accept/Reject links of the lead's e-mail."""

    accepted: int = 0
    accepted_by_email: int = 0
    rejected: int = 0
    rejected_by_email: int = 0


def dealer_answers(*, dealer_id: int, start: datetime, end: datetime) -> Answers:
    """Accepts and rejects by the dealer's people in ``[start, end)``: one query."""
    kinds = (LeadEvent.Kind.ACCEPTED, LeadEvent.Kind.REJECTED)
    rows = (
        LeadEvent.objects.filter(
            kind__in=kinds,
            at__gte=start,
            at__lt=end,
            actor__dealermembership__dealer_id=dealer_id,
        )
        .values("kind")
        .annotate(total=Count("pk"), by_email=Count("pk", filter=Q(data__via="email")))
        .order_by()
    )
    counts = {row["kind"]: row for row in rows}
    accepted = counts.get(LeadEvent.Kind.ACCEPTED, {})
    rejected = counts.get(LeadEvent.Kind.REJECTED, {})
    return Answers(
        accepted=accepted.get("total", 0),
        accepted_by_email=accepted.get("by_email", 0),
        rejected=rejected.get("total", 0),
        rejected_by_email=rejected.get("by_email", 0),
    )


# --- trend ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    """One calendar month (local time) of stints that started in it."""

    month: date
    received: int = 0
    measured: int = 0
    followed_up_in_sla: int = 0
    won: int = 0
    lost: int = 0

    @property
    def follow_up_rate(self) -> float | None:
        return _rate(self.followed_up_in_sla, self.measured)

    @property
    def conversion(self) -> float | None:
        return _rate(self.won, self.won + self.lost)


def _month_start(moment: datetime, months_back: int) -> datetime:
    local = timezone.localtime(moment)
    year, month = local.year, local.month - months_back
    while month < 1:
        month += 12
        year -= 1
    return local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def dealer_trend(*, dealer_id: int, months: int = 6, now: datetime) -> list[TrendPoint]:
    """The last ``months`` calendar months up to ``now`` (the current month included),
    oldest first, zeros for months without stints. One grouped query."""
    tz = timezone.get_current_timezone()
    first = _month_start(now, months - 1)
    measured = Q(sla_due_at__isnull=True) | Q(sla_due_at__lte=now)
    rows = (
        Assignment.objects.filter(
            owner_dealer_id=dealer_id, started_at__gte=first, started_at__lt=now
        )
        .annotate(month=TruncMonth("started_at", tzinfo=tz))
        .values("month")
        .annotate(
            received=Count("pk"),
            measured=Count("pk", filter=measured),
            in_sla=Count("pk", filter=measured & Q(first_update_in_sla=True)),
            won=Count("pk", filter=Q(end_reason=END.WON)),
            lost=Count("pk", filter=Q(end_reason=END.LOST)),
        )
        .order_by("month")
    )
    by_month = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime):
            month = timezone.localtime(month, tz) if timezone.is_aware(month) else month
        by_month[(month.year, month.month)] = row
    points = []
    for back in range(months - 1, -1, -1):
        start = _month_start(now, back)
        row = by_month.get((start.year, start.month), {})
        points.append(
            TrendPoint(
                month=start.date(),
                received=row.get("received", 0),
                measured=row.get("measured", 0),
                followed_up_in_sla=row.get("in_sla", 0),
                won=row.get("won", 0),
                lost=row.get("lost", 0),
            )
        )
    return points


# --- performance weight -------------------------------------------------------------


def _decimal(value: float | None) -> Decimal:
    return ZERO if value is None else Decimal(str(round(value, 6)))


def performance_weight(scorecard: Scorecard, *, current: Decimal = NEUTRAL_WEIGHT) -> Decimal:
    """``clamp(0.25, 2.0, (0.5 + follow_up) × (0.5 + conversion / 20 %))`` over the
    scorecard's window (the trailing 90 days), two decimals; 1.00 until the dealer has
    at least ``MIN_SETTLED_STINTS`` won, lost, rejected or recycled stints. While none of
    its stints has reached its first-update deadline, follow-up has no data yet (not
    0 %) and the weight stays ``current``."""
    if scorecard.settled < MIN_SETTLED_STINTS:
        return NEUTRAL_WEIGHT
    if scorecard.follow_up_rate is None:
        return current
    follow_up = _decimal(scorecard.follow_up_rate)
    conversion = _decimal(scorecard.conversion)
    weight = (Decimal("0.5") + follow_up) * (Decimal("0.5") + conversion / TARGET_CONVERSION)
    weight = min(WEIGHT_MAX, max(WEIGHT_MIN, weight))
    return weight.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
