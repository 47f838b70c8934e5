"""Reads for the channel manager's dashboard: leads in, follow-up, forgotten leads,
time to first update and conversion, by period and by routing rule, the monthly or weekly
trend, the distribution over dealers, the pipeline funnel and the pool.

Figures count ownership stints (``Assignment``) of dealers and internal reps that
started in the period, as the scorecards do (DESIGN.md "Scorecard measures"); queue
stints (pool, nurture) are nobody's work and are left out:

- follow-up within SLA = stints with a first update by their deadline / measured stints
  (those whose deadline has passed);
- forgotten-lead rate = dealer stints recycled by the 5-working-day rule / measured
  dealer stints (internal reps' leads are escalated, never recycled);
- time to first update = the median working hours from stint start to first update;
- conversion = won / (won + lost) stints.

Every figure is an aggregate in the database: one grouped scan of the stints and one of
the leads feed the headline, the rules, the trend and the distribution; the medians and
the funnel's lost leads take one query each (the medians two on PostgreSQL, one list of
hours on SQLite, which has no ``percentile_cont``). ``overview_cached`` keeps the result
for a minute.

The internal reps' teams (``rep_teams_cached``) are not computed here: they are
``leads.rep_scorecards.teams_overview``, the figures of the rep scorecards page over its
trailing window of the same number of days, kept for a minute too.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads import rep_scorecards
from leads.models import Assignment, Lead, LeadEvent, Queue
from leads.routing import Rule
from portal.db import Median

PERIODS = {"30d": 30, "90d": 90, "180d": 180, "365d": 365}
DEFAULT_PERIOD = "90d"
MANUAL = "manual"
RULES = [*(rule.value for rule in Rule), MANUAL]
END = Assignment.EndReason
# The pipeline's stages in order; a lead has reached every stage up to its furthest.
STAGES = ("new", "accepted", "contacted", "meeting", "proposal", "won")
STAGE_LABELS = {
    "new": _("Received"),
    "accepted": _("Accepted"),
    "contacted": _("Contacted"),
    "meeting": _("Meeting"),
    "proposal": _("Proposal"),
    "won": _("Won"),
}


@dataclass(frozen=True)
class Scope:
    """What the dashboard looks at: stints started and leads created in
    ``[start, end)``, optionally one country or routing rule; ``countries`` limits a
    channel manager to the countries they manage (None: all)."""

    start: datetime
    end: datetime
    now: datetime
    weekly: bool = False
    country: str = ""
    rule: str = ""
    countries: frozenset[str] | None = None

    @classmethod
    def for_period(cls, period: str, *, now: datetime, **filters) -> "Scope":
        days = PERIODS.get(period, PERIODS[DEFAULT_PERIOD])
        local = timezone.localtime(now)
        if days <= 90:
            # Whole weeks, Monday first, so every bar of the trend is a full week.
            monday = (local - timedelta(days=local.weekday() + 7 * (days // 7 - 1))).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            return cls(start=monday, end=now, now=now, weekly=True, **filters)
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        months = days // 30
        year, month = first.year, first.month - (months - 1)
        while month < 1:
            year, month = year - 1, month + 12
        return cls(start=first.replace(year=year, month=month), end=now, now=now, **filters)

    def leads(self) -> QuerySet[Lead]:
        leads = Lead.objects.filter(created_at__gte=self.start, created_at__lt=self.end)
        if self.country:
            leads = leads.filter(country=self.country)
        if self.countries is not None:
            leads = leads.filter(country__in=sorted(self.countries))
        if self.rule:
            leads = leads.filter(routing_rule=self.rule)
        return leads

    def stints(self) -> QuerySet[Assignment]:
        stints = Assignment.objects.filter(
            started_at__gte=self.start, started_at__lt=self.end, owner_queue__isnull=True
        )
        if self.country:
            stints = stints.filter(lead__country=self.country)
        if self.countries is not None:
            stints = stints.filter(lead__country__in=sorted(self.countries))
        if self.rule:
            stints = stints.filter(rule=self.rule)
        return stints


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


COUNTS = ("stints", "measured", "in_sla", "dealer_measured", "recycled", "won", "lost")


@dataclass
class Figures:
    """The dashboard's measures over a set of stints (and the leads in)."""

    stints: int = 0
    measured: int = 0
    in_sla: int = 0
    dealer_measured: int = 0
    recycled: int = 0
    won: int = 0
    lost: int = 0
    won_value: float = 0
    median_hours: float | None = None
    leads_in: int = 0

    @property
    def follow_up_rate(self) -> float | None:
        return _rate(self.in_sla, self.measured)

    @property
    def forgotten_rate(self) -> float | None:
        return _rate(self.recycled, self.dealer_measured)

    @property
    def conversion(self) -> float | None:
        return _rate(self.won, self.won + self.lost)

    def add(self, row: dict) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + (row.get(name) or 0))
        self.won_value += float(row.get("won_value") or 0)


def _aggregates(now: datetime) -> dict:
    measured = Q(sla_due_at__isnull=True) | Q(sla_due_at__lte=now)
    dealer_measured = measured & Q(owner_dealer__isnull=False)
    return {
        "stints": Count("pk"),
        "measured": Count("pk", filter=measured),
        "in_sla": Count("pk", filter=measured & Q(first_update_in_sla=True)),
        "dealer_measured": Count("pk", filter=dealer_measured),
        "recycled": Count("pk", filter=dealer_measured & Q(end_reason=END.RECYCLED)),
        "won": Count("pk", filter=Q(end_reason=END.WON)),
        "lost": Count("pk", filter=Q(end_reason=END.LOST)),
        "won_value": Sum("won_value", filter=Q(end_reason=END.WON)),
    }


@dataclass(frozen=True)
class TrendPoint:
    start: date
    leads_in: int
    figures: Figures


@dataclass(frozen=True)
class DealerShare:
    dealer_id: int
    name: str
    received: int
    won: int
    measured: int
    in_sla: int

    @property
    def follow_up_rate(self) -> float | None:
        return _rate(self.in_sla, self.measured)


@dataclass
class Overview:
    """Everything the dashboard shows about a scope. ``funnel`` is ``(stage, leads that
    reached it)`` in pipeline order (labels in ``STAGE_LABELS``, translated when shown,
    so an overview can be cached for readers of any language)."""

    total: Figures
    by_rule: list[tuple[str, Figures]]
    trend: list[TrendPoint]
    dealers: list[DealerShare]
    funnel: list[tuple[str, int]]
    computed_at: datetime


def _buckets(scope: Scope) -> list[date]:
    local = timezone.localtime(scope.start).date()
    end = timezone.localtime(scope.end).date()
    buckets = []
    while local <= end:
        buckets.append(local)
        if scope.weekly:
            local += timedelta(days=7)
        else:
            local = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return buckets


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _trunc(scope: Scope, field_name: str):
    trunc = TruncWeek if scope.weekly else TruncMonth
    return trunc(field_name, tzinfo=timezone.get_current_timezone())


def _medians(scope: Scope) -> tuple[float | None, dict[str, float]]:
    """The median working hours to the first update, overall and per rule: two
    ``percentile_cont`` queries on PostgreSQL, one list of hours on SQLite."""
    if connection.vendor == "postgresql":
        per_rule = dict(
            scope.stints()
            .values("rule")
            .annotate(m=Median("first_update_hours"))
            .order_by()
            .values_list("rule", "m")
        )
        overall = scope.stints().aggregate(m=Median("first_update_hours"))["m"]
        return overall, {rule: m for rule, m in per_rule.items() if m is not None}
    hours = defaultdict(list)
    rows = (
        scope.stints()
        .filter(first_update_hours__isnull=False)
        .values_list("rule", "first_update_hours")
        .order_by()
    )
    for rule, value in rows:
        hours[rule].append(value)
    every = [value for values in hours.values() for value in values]
    overall = statistics.median(every) if every else None
    return overall, {rule: statistics.median(values) for rule, values in hours.items()}


def _lost_from(scope: Scope) -> dict[str, int]:
    """Lost leads created in the period by the status they were lost from (their
    "status" event); one grouped query."""
    events = LeadEvent.objects.filter(
        kind=LeadEvent.Kind.STATUS,
        data__to=Lead.Status.LOST,
        at__gte=scope.start,  # a lead is lost after it came in
        lead__status=Lead.Status.LOST,
        lead__created_at__gte=scope.start,
        lead__created_at__lt=scope.end,
    )
    if scope.country:
        events = events.filter(lead__country=scope.country)
    if scope.countries is not None:
        events = events.filter(lead__country__in=sorted(scope.countries))
    if scope.rule:
        events = events.filter(lead__routing_rule=scope.rule)
    return dict(
        events.values("data__from")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("data__from", "n")
    )


def _funnel(by_status: dict[str, int], lost_from: dict[str, int]) -> list[tuple[str, int]]:
    """A lead reached every stage up to its current one; a lost lead every stage up to
    the one it was lost from (before any recorded move: received only)."""
    furthest = defaultdict(int)
    for status, n in by_status.items():
        if status in (Lead.Status.LOST, Lead.Status.NURTURE):
            continue
        furthest[status if status in STAGES else "new"] += n
    lost = by_status.get(Lead.Status.LOST, 0)
    for status, n in lost_from.items():
        furthest[status if status in STAGES else "new"] += n
        lost -= n
    furthest["new"] += max(lost, 0)
    return [(stage, sum(furthest[s] for s in STAGES[i:])) for i, stage in enumerate(STAGES)]


def overview(scope: Scope) -> Overview:
    """The dashboard's figures in five queries whatever the number of leads: one grouped
    scan of the stints (by rule, week or month, and dealer), one of the leads (by rule,
    status and week or month), the medians (two on PostgreSQL), and the lost leads'
    last stage for the funnel."""
    aggregates = _aggregates(scope.now)
    stint_rows = list(
        scope.stints()
        .annotate(bucket=_trunc(scope, "started_at"))
        .values("rule", "bucket", "owner_dealer_id", "owner_dealer__name")
        .annotate(**aggregates)
        .order_by()
    )
    # Leads in per week or month as filtered counts: cheaper than truncating a million
    # timestamps in the local zone.
    buckets = _buckets(scope)
    tz = timezone.get_current_timezone()
    edges = [timezone.make_aware(datetime.combine(b, time()), tz) for b in buckets] + [scope.end]
    per_bucket_in = {
        f"in_{i}": Count("pk", filter=Q(created_at__gte=edges[i], created_at__lt=edges[i + 1]))
        for i in range(len(buckets))
    }
    lead_rows = list(
        scope.leads().values("routing_rule", "status").annotate(**per_bucket_in).order_by()
    )
    overall_median, rule_medians = _medians(scope)

    total, per_rule, per_bucket = Figures(), defaultdict(Figures), defaultdict(Figures)
    dealers: dict[int, dict] = {}
    for row in stint_rows:
        total.add(row)
        per_rule[row["rule"]].add(row)
        per_bucket[_as_date(row["bucket"])].add(row)
        if row["owner_dealer_id"] is not None:
            share = dealers.setdefault(
                row["owner_dealer_id"],
                {
                    "name": row["owner_dealer__name"],
                    "stints": 0,
                    "won": 0,
                    "measured": 0,
                    "in_sla": 0,
                },
            )
            for name in ("stints", "won", "measured", "in_sla"):
                share[name] += row[name]
    leads_by_rule, leads_by_bucket, by_status = defaultdict(int), defaultdict(int), defaultdict(int)
    for row in lead_rows:
        for i, bucket in enumerate(buckets):
            n = row[f"in_{i}"]
            leads_by_rule[row["routing_rule"]] += n
            leads_by_bucket[bucket] += n
            by_status[row["status"]] += n
    total.leads_in = sum(leads_by_rule.values())
    total.median_hours = overall_median
    by_rule = []
    for rule in RULES:
        if rule in per_rule or leads_by_rule.get(rule):
            figures = per_rule.get(rule) or Figures()
            figures.leads_in = leads_by_rule.get(rule, 0)
            figures.median_hours = rule_medians.get(rule)
            by_rule.append((rule, figures))
    trend = [
        TrendPoint(
            start=b, leads_in=leads_by_bucket.get(b, 0), figures=per_bucket.get(b) or Figures()
        )
        for b in buckets
    ]
    shares = [
        DealerShare(
            dealer_id=pk,
            name=d["name"],
            received=d["stints"],
            won=d["won"],
            measured=d["measured"],
            in_sla=d["in_sla"],
        )
        for pk, d in dealers.items()
    ]
    shares.sort(key=lambda s: (-s.received, s.name))
    lost_from = _lost_from(scope) if by_status.get(Lead.Status.LOST) else {}
    return Overview(
        total=total,
        by_rule=by_rule,
        trend=trend,
        dealers=shares,
        funnel=_funnel(by_status, lost_from),
        computed_at=scope.now,
    )


CACHE_SECONDS = 60


def overview_cached(scope: Scope, *, key: str) -> Overview:
    """``overview`` kept for a minute in the shared cache under ``key`` (the period and
    filters), so managers reloading the dashboard do not scan a million leads again."""
    cache_key = f"dashboard:overview:{key}"
    found = cache.get(cache_key)
    if found is None:
        found = overview(scope)
        cache.set(cache_key, found, CACHE_SECONDS)
    return found


def rep_teams_cached(
    *, days: int, now: datetime, manager_id: int | None, countries: frozenset[str] | None
) -> list[rep_scorecards.TeamScorecard]:
    """The internal reps' team scorecards for the dashboard's card: what the rep
    scorecards page shows for the last ``days`` days to the same reader (a sales
    manager's team when ``manager_id`` is given, else the teams covering ``countries``),
    kept for a minute like ``overview_cached``."""
    if manager_id is not None:
        reader = f"team:{manager_id}"
    else:
        reader = "countries:" + ",".join(sorted(countries or ()))
    cache_key = f"dashboard:rep-teams:{days}:{reader}"
    found = cache.get(cache_key)
    if found is None:
        found = rep_scorecards.teams_overview(
            manager_id=manager_id,
            countries=countries,
            start=now - timedelta(days=days),
            end=now,
            now=now,
        )
        cache.set(cache_key, found, CACHE_SECONDS)
    return found


# --- the pool ---------------------------------------------------------------------------


@dataclass
class PoolSummary:
    count: int
    oldest: list[Lead]


def pool_summary(*, limit: int = 5) -> PoolSummary:
    """Open leads waiting in the pool and the oldest few (two queries)."""
    waiting = Lead.objects.filter(owner_queue_id=Queue.POOL, status__in=Lead.OPEN_STATUSES)
    oldest = list(
        waiting.select_related("owner_queue")
        .only(
            "id",
            "company_name",
            "country",
            "postcode",
            "city",
            "sector",
            "status",
            "temperature",
            "created_at",
            "owner_queue__name",
            "routing_reason",
        )
        .order_by("created_at", "pk")[:limit]
    )
    count = len(oldest) if len(oldest) < limit else waiting.count()
    return PoolSummary(count=count, oldest=oldest)
