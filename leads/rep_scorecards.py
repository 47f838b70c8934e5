"""Scorecards of internal reps and account managers, and of their teams (DESIGN.md,
"What is measured": per dealer and per rep).

The same measures as a dealer's scorecard (``dealers.scorecards``), over the internal
owner's stints that started in the window, plus what the direct-sales clocks promise:
hot leads contacted within 4 working hours and warm ones within a working day (a rep's
stint's ``sla_due_at`` is that contact deadline, set by the hand-over), and the stints
that were escalated to the manager. A stint is measured once its deadline has passed by
``now``, as a dealer's is.

A team is a manager and their direct reports (``StaffProfile.manager``): a manager
belongs to the team they lead, and the people without a manager who lead nobody form
one more. ``teams_overview`` is the teams alone, for the channel dashboard's card. All
reps' figures come from one grouped query over
the stints (the ``(owner_user, started_at)`` index), the teams' medians from a second,
and the people in scope from one more; on SQLite the medians are computed from one list
of hours instead. Nothing loops per rep.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, Exists, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from leads.models import Assignment, Lead, LeadEvent
from portal.db import Median
from portal.users.models import Role, StaffProfile

END = Assignment.EndReason
HOT, WARM = Lead.Temperature.HOT, Lead.Temperature.WARM
ZERO = Decimal("0")
END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)  # "still open" when a stint has no end
NO_TEAM = 0  # the team key of reps without a manager
OWNER_ROLES = (Role.INTERNAL_SALES, Role.SENIOR_REP, Role.SALES_MANAGER)

# Summed over a team's members; the median is not a sum and is computed per team.
COUNTS = (
    "received",
    "measured",
    "in_sla",
    "hot_measured",
    "hot_in_sla",
    "warm_measured",
    "warm_in_sla",
    "escalated",
    "rejected",
    "won",
    "lost",
    "open_stints",
)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    """One rep's or one team's figures over stints started in ``[start, end)``."""

    received: int = 0
    measured: int = 0
    in_sla: int = 0
    hot_measured: int = 0
    hot_in_sla: int = 0
    warm_measured: int = 0
    warm_in_sla: int = 0
    median_first_update_hours: float | None = None
    escalated: int = 0
    rejected: int = 0
    won: int = 0
    lost: int = 0
    won_value: Decimal = ZERO
    open_stints: int = 0
    pipeline_value: Decimal = ZERO

    @classmethod
    def total(cls, parts: Iterable["Figures"], *, median: float | None = None) -> "Figures":
        """The sum of ``parts``; a median is no sum, so it is given (or None)."""
        parts = list(parts)
        return cls(
            **{name: sum(getattr(p, name) for p in parts) for name in COUNTS},
            won_value=sum((p.won_value for p in parts), ZERO),
            pipeline_value=sum((p.pipeline_value for p in parts), ZERO),
            median_first_update_hours=median,
        )

    @property
    def follow_up_rate(self) -> float | None:
        """Share of measured stints with a first update before their deadline."""
        return _rate(self.in_sla, self.measured)

    @property
    def hot_rate(self) -> float | None:
        """Hot leads contacted within 4 working hours."""
        return _rate(self.hot_in_sla, self.hot_measured)

    @property
    def warm_rate(self) -> float | None:
        """Warm leads contacted within one working day."""
        return _rate(self.warm_in_sla, self.warm_measured)

    @property
    def hot_warm_rate(self) -> float | None:
        """Hot and warm leads together contacted within their deadline (4 working
        hours, one working day): the dashboard's one figure for the direct clocks."""
        return _rate(self.hot_in_sla + self.warm_in_sla, self.hot_measured + self.warm_measured)

    @property
    def escalation_rate(self) -> float | None:
        return _rate(self.escalated, self.received)

    @property
    def conversion(self) -> float | None:
        """won / (won + lost) over closed stints."""
        return _rate(self.won, self.won + self.lost)


@dataclass(frozen=True)
class RepScorecard:
    user_id: int
    name: str
    title: str
    team_id: int  # the manager's user id, or NO_TEAM
    figures: Figures


@dataclass(frozen=True)
class TeamScorecard:
    manager_id: int  # NO_TEAM for reps without a manager
    manager_name: str
    members: list[RepScorecard] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)


def internal_owners(*, manager_id: int | None = None, countries: Iterable[str] | None = None):
    """The staff profiles whose figures a reader may see: internal sales, account
    managers, senior reps and sales managers (channel managers own no leads); only
    ``manager_id`` and their direct reports when given; only those covering one of
    ``countries`` (or every country) when given."""
    profiles = StaffProfile.objects.filter(
        Q(role__in=OWNER_ROLES) | Q(is_account_manager=True), user__is_active=True
    )
    if manager_id is not None:
        profiles = profiles.filter(Q(manager_id=manager_id) | Q(user_id=manager_id))
    if countries is not None:
        covers = Q(countries="")
        for code in sorted(countries):
            covers |= Q(countries__contains=code)
        profiles = profiles.filter(covers)
    return profiles.select_related("user", "manager").order_by("user__name", "user__pk")


def _conditions(*, start: datetime, end: datetime, now: datetime) -> dict[str, Q]:
    window = Q(started_at__gte=start, started_at__lt=end)
    # As for dealers: a stint counts once its deadline has passed.
    measured = window & (Q(sla_due_at__isnull=True) | Q(sla_due_at__lte=now))
    return {"window": window, "measured": measured, "open": Q(ended_at__isnull=True)}


def _escalated() -> Exists:
    """The stint was escalated to the manager while its owner had it."""
    return Exists(
        LeadEvent.objects.filter(
            lead_id=OuterRef("lead_id"),
            kind=LeadEvent.Kind.ESCALATION,
            at__gte=OuterRef("started_at"),
            at__lt=Coalesce(OuterRef("ended_at"), Value(END_OF_TIME)),
        )
    )


def _aggregates(when: dict[str, Q], *, with_median: bool) -> dict:
    window, measured, open_ = when["window"], when["measured"], when["open"]
    in_sla = Q(first_update_in_sla=True)
    hot, warm = Q(lead__temperature=HOT), Q(lead__temperature=WARM)
    aggregates = {
        "received": Count("pk", filter=window),
        "measured": Count("pk", filter=measured),
        "in_sla": Count("pk", filter=measured & in_sla),
        "hot_measured": Count("pk", filter=measured & hot),
        "hot_in_sla": Count("pk", filter=measured & hot & in_sla),
        "warm_measured": Count("pk", filter=measured & warm),
        "warm_in_sla": Count("pk", filter=measured & warm & in_sla),
        "escalated": Count("pk", filter=window & Q(was_escalated=True)),
        "rejected": Count("pk", filter=window & Q(end_reason=END.REJECTED)),
        "won": Count("pk", filter=window & Q(end_reason=END.WON)),
        "lost": Count("pk", filter=window & Q(end_reason=END.LOST)),
        "won_value": Sum("won_value", filter=window & Q(end_reason=END.WON)),
        "open_stints": Count("pk", filter=open_),
        "pipeline_value": Sum("estimated_value", filter=open_),
    }
    if with_median:
        aggregates["median"] = Median("first_update_hours", filter=window)
    return aggregates


def _figures(row: dict, median: float | None) -> Figures:
    return Figures(
        **{name: row.get(name) or 0 for name in COUNTS},
        won_value=row.get("won_value") or ZERO,
        pipeline_value=row.get("pipeline_value") or ZERO,
        median_first_update_hours=median,
    )


@dataclass(frozen=True)
class Teams:
    """Who is in which team: ``of`` maps a user id to their team's key (the manager's
    user id, or ``NO_TEAM``), ``names`` a team's key to its manager's name."""

    of: dict[int, int]
    names: dict[int, str]

    @classmethod
    def of_profiles(cls, profiles: Iterable[StaffProfile], *, no_team_name: str) -> "Teams":
        profiles = list(profiles)
        leads_team = {p.manager_id for p in profiles if p.manager_id}
        of, names = {}, {}
        for p in profiles:
            if p.user_id in leads_team:
                of[p.user_id], names[p.user_id] = p.user_id, p.user.name
            elif p.manager_id:
                of[p.user_id], names[p.manager_id] = p.manager_id, p.manager.name
            else:
                of[p.user_id], names[NO_TEAM] = NO_TEAM, no_team_name
        return cls(of, names)

    def choices(self) -> list[tuple[int, str]]:
        """The teams by their manager's name, the people without one last."""
        return sorted(self.names.items(), key=lambda t: (t[0] == NO_TEAM, t[1].lower(), t[0]))


def rep_scorecards(
    profiles: Iterable[StaffProfile], *, start: datetime, end: datetime, now: datetime
) -> list[RepScorecard]:
    """A scorecard for each of ``profiles`` (zeros included), in their order, over stints
    started in ``[start, end)``; deadlines judged at ``now``."""
    profiles = list(profiles)
    if not profiles:
        return []
    ids = [p.user_id for p in profiles]
    teams = Teams.of_profiles(profiles, no_team_name="")
    when = _conditions(start=start, end=end, now=now)
    on_postgres = connection.vendor == "postgresql"
    rows = (
        Assignment.objects.filter(owner_user_id__in=ids)
        .filter(when["window"] | when["open"])
        .annotate(was_escalated=_escalated())
        .values("owner_user_id")
        .annotate(**_aggregates(when, with_median=on_postgres))
        .order_by()
    )
    by_user = {row["owner_user_id"]: row for row in rows}
    medians = (
        {pk: row.get("median") for pk, row in by_user.items()}
        if on_postgres
        else _python_medians(ids, when["window"], key=lambda user_id: user_id)
    )
    return [
        RepScorecard(
            user_id=p.user_id,
            name=p.user.name,
            title=p.title,
            team_id=teams.of[p.user_id],
            figures=_figures(by_user.get(p.user_id, {}), medians.get(p.user_id)),
        )
        for p in profiles
    ]


def team_scorecards(
    profiles: Iterable[StaffProfile],
    cards: list[RepScorecard],
    *,
    start: datetime,
    end: datetime,
    no_team_name: str,
) -> list[TeamScorecard]:
    """The teams of ``profiles``: their members' cards summed and each team's own median
    first update (one grouped query), in ``Teams.choices`` order."""
    teams = Teams.of_profiles(profiles, no_team_name=no_team_name)
    members: dict[int, list[RepScorecard]] = defaultdict(list)
    for card in cards:
        members[teams.of[card.user_id]].append(card)
    window = _conditions(start=start, end=end, now=end)["window"]
    if connection.vendor == "postgresql":
        team = Case(
            *(
                When(owner_user_id__in=[c.user_id for c in team_cards], then=Value(key))
                for key, team_cards in members.items()
            ),
            default=Value(NO_TEAM),
        )
        rows = (
            Assignment.objects.filter(window, owner_user_id__in=list(teams.of))
            .values(team=team)
            .annotate(median=Median("first_update_hours"))
            .order_by()
        )
        medians = {row["team"]: row["median"] for row in rows}
    else:
        medians = _python_medians(list(teams.of), window, key=teams.of.get)
    return [
        TeamScorecard(
            key,
            name,
            members[key],
            Figures.total((c.figures for c in members[key]), median=medians.get(key)),
        )
        for key, name in teams.choices()
        if members[key]
    ]


def _python_medians(user_ids: list[int], window: Q, *, key) -> dict[int, float]:
    """Medians of first-update hours grouped by ``key(owner user id)`` (SQLite)."""
    hours: dict[int, list[float]] = defaultdict(list)
    rows = Assignment.objects.filter(
        window, owner_user_id__in=user_ids, first_update_hours__isnull=False
    ).values_list("owner_user_id", "first_update_hours")
    for user_id, value in rows.order_by():
        hours[key(user_id)].append(value)
    return {group: statistics.median(values) for group, values in hours.items()}


def teams_overview(
    *,
    manager_id: int | None = None,
    countries: Iterable[str] | None = None,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[TeamScorecard]:
    """The team scorecards a reader sees (``internal_owners``' scope: a sales manager's
    own team, or every team covering a channel manager's countries), as the rep
    scorecards page computes them; the people without a manager are the team keyed
    ``NO_TEAM`` with no name (the page names it in the reader's language)."""
    people = list(internal_owners(manager_id=manager_id, countries=countries))
    cards = rep_scorecards(people, start=start, end=end, now=now)
    return team_scorecards(people, cards, start=start, end=end, no_team_name="")
