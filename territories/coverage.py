"""The coverage report: where would the territory rule find no eligible owner, and
where do territory rules overlap?

Computed from the same facts the routing engine uses (``facts.build_context()``), so
it reports what routing will actually do: a dealer that is paused, terminated or has
weight 0, or a deactivated rep, is no eligible owner. Capacity and out-of-office are
temporary and not counted here.

- Gaps: per country, the postcode segments (merged) where no active territory with an
  eligible owner covers some sectors. ``""`` stands for leads without a sector, which
  only territories open to every sector take. Leads in a gap are not lost: they go to
  the next rule (internal sales round robin, else the channel pool).
- Overlaps: pairs of territories whose ranges cover the same postcodes for at least
  one common sector; the engine gives such a lead to the territory with the narrower
  range, and on equal width to the older territory (lower id).
- Territories without an eligible owner, with the reason per owner.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from leads import routing

NO_SECTOR = ""


@dataclass(frozen=True)
class Gap:
    country: str
    start: int | None  # None: the whole country (not routed by postcode)
    end: int | None
    missing: frozenset[str]  # sector codes, NO_SECTOR for leads without one
    all_missing: bool
    territories: tuple[str, ...]  # covering territories that do not help (names)


@dataclass(frozen=True)
class OverlapSpan:
    start: int | None
    end: int | None
    winner: str
    narrower: bool  # False: equal width, the lower id wins


@dataclass
class Overlap:
    country: str
    first: str
    second: str
    sectors: frozenset[str] | None  # None: every sector
    spans: list[OverlapSpan] = field(default_factory=list)


@dataclass(frozen=True)
class Unstaffed:
    territory: routing.TerritoryFacts
    reasons: tuple[tuple[str, str], ...]  # (owner name, problem code); empty: no owners


@dataclass
class Coverage:
    gaps: list[Gap]
    overlaps: list[Overlap]
    unstaffed: list[Unstaffed]
    countries: list[str]

    @property
    def is_clean(self) -> bool:
        return not (self.gaps or self.overlaps or self.unstaffed)


PROBLEMS = ("unknown", "paused", "terminated", "weight_zero", "deactivated")


def owner_problem(
    context: routing.RoutingContext, owner: routing.TerritoryOwnerFacts
) -> str | None:
    """Why an owner can receive no leads through the territory rule (one of
    ``PROBLEMS``, or a dealer status), or None."""
    if owner.owner_kind == "dealer":
        dealer = context.dealers.get(owner.owner_id)
        if dealer is None:
            return "unknown"
        if dealer.status != routing.DEALER_ACTIVE:
            return dealer.status
        if owner.weight * dealer.weight <= 0:
            return "weight_zero"
        return None
    rep = context.reps.get(owner.owner_id)
    if rep is None:
        return "unknown"
    if not rep.is_active:
        return "deactivated"
    if owner.weight <= 0:
        return "weight_zero"
    return None


def owner_name(context: routing.RoutingContext, owner: routing.TerritoryOwnerFacts) -> str:
    if owner.owner_kind == "dealer":
        dealer = context.dealers.get(owner.owner_id)
        return dealer.name if dealer else f"Dealer #{owner.owner_id}"
    rep = context.reps.get(owner.owner_id)
    return rep.name if rep else f"User #{owner.owner_id}"


def _sectors_served(
    territory: routing.TerritoryFacts, staffed: set[int], all_keys: frozenset[str]
) -> frozenset[str]:
    if territory.id not in staffed:
        return frozenset()
    return all_keys if not territory.sectors else frozenset(territory.sectors)


def _shared(a: routing.TerritoryFacts, b: routing.TerritoryFacts) -> frozenset[str] | None | bool:
    """Sectors both territories take: None for all, False when they share none."""
    if not a.sectors and not b.sectors:
        return None
    if not a.sectors:
        return frozenset(b.sectors)
    if not b.sectors:
        return frozenset(a.sectors)
    common = frozenset(a.sectors) & frozenset(b.sectors)
    return common or False


def coverage_report(
    context: routing.RoutingContext,
    *,
    sectors: Sequence[str],
    countries: Sequence[str],
    bounds: Callable[[str], tuple[int, int] | None],
) -> Coverage:
    """Gaps, overlaps and unstaffed territories of ``context`` in ``countries`` (and
    every country that has a territory). ``bounds(country)`` gives the lowest and
    highest postcode number, or None for a country routed by country only."""
    all_keys = frozenset(sectors) | {NO_SECTOR}
    territories = sorted(context.territories.values(), key=lambda t: t.id)
    unstaffed: list[Unstaffed] = []
    staffed: set[int] = set()
    for territory in territories:
        problems = [(o, owner_problem(context, o)) for o in territory.owners]
        if any(problem is None for _o, problem in problems):
            staffed.add(territory.id)
            continue
        reasons = tuple((owner_name(context, o), problem) for o, problem in problems)
        unstaffed.append(Unstaffed(territory, reasons))
    by_country: dict[str, list[routing.TerritoryFacts]] = {}
    for territory in territories:
        by_country.setdefault(territory.country.upper(), []).append(territory)
    all_countries = sorted(set(countries) | set(by_country))
    gaps: list[Gap] = []
    overlaps: list[Overlap] = []
    for country in all_countries:
        members = by_country.get(country, [])
        gaps += _country_gaps(country, members, staffed, all_keys, bounds(country))
        overlaps += _country_overlaps(country, members)
    return Coverage(gaps=gaps, overlaps=overlaps, unstaffed=unstaffed, countries=all_countries)


def _country_gaps(country, members, staffed, all_keys, limits) -> list[Gap]:
    whole = [t for t in members if not t.ranges]
    base = frozenset().union(*(_sectors_served(t, staffed, all_keys) for t in whole))
    if limits is None:
        missing = all_keys - base
        if not missing:
            return []
        return [
            Gap(country, None, None, missing, missing == all_keys, tuple(t.name for t in whole))
        ]
    low, high = limits
    events: dict[int, list[tuple[int, routing.TerritoryFacts]]] = {}
    for territory in members:
        for start, end in territory.ranges:
            start, end = max(start, low), min(end, high)
            if start > end:
                continue
            events.setdefault(start, []).append((+1, territory))
            events.setdefault(end + 1, []).append((-1, territory))
    points = sorted({low, high + 1, *(p for p in events if low <= p <= high + 1)})
    active: dict[int, tuple[int, routing.TerritoryFacts]] = {}
    raw: list[Gap] = []
    for point, following in zip(points, points[1:], strict=False):
        for delta, territory in events.get(point, ()):
            count = active.get(territory.id, (0, territory))[0] + delta
            if count:
                active[territory.id] = (count, territory)
            else:
                active.pop(territory.id, None)
        covering = [t for _n, t in active.values()]
        served = base.union(*(_sectors_served(t, staffed, all_keys) for t in covering))
        missing = all_keys - served
        if not missing:
            continue
        names = tuple(sorted({t.name for t in covering + whole}))
        raw.append(Gap(country, point, following - 1, missing, missing == all_keys, names))
    merged: list[Gap] = []
    for gap in raw:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end + 1 == gap.start
            and (last.missing, last.territories) == (gap.missing, gap.territories)
        ):
            merged[-1] = Gap(
                country, last.start, gap.end, gap.missing, gap.all_missing, gap.territories
            )
        else:
            merged.append(gap)
    return merged


def _country_overlaps(country, members) -> list[Overlap]:
    found: dict[tuple[int, int], Overlap] = {}

    def add(a, b, shared, span):
        key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
        first, second = (a, b) if a.id < b.id else (b, a)
        overlap = found.get(key)
        if overlap is None:
            overlap = found[key] = Overlap(country, first.name, second.name, shared)
        overlap.spans.append(span)

    whole = [t for t in members if not t.ranges]
    for i, a in enumerate(whole):
        for b in whole[i + 1 :]:
            shared = _shared(a, b)
            if shared is not False:
                winner = a if a.id < b.id else b
                add(a, b, shared, OverlapSpan(None, None, winner.name, False))
    entries = sorted(
        ((start, end, t) for t in members for start, end in t.ranges), key=lambda e: (e[0], e[1])
    )
    active: list[tuple[int, int, routing.TerritoryFacts]] = []
    for start, end, territory in entries:
        active = [entry for entry in active if entry[1] >= start]
        for other_start, other_end, other in active:
            if other.id == territory.id:
                continue
            shared = _shared(territory, other)
            if shared is False:
                continue
            width, other_width = end - start, other_end - other_start
            if width == other_width:
                winner, narrower = (territory if territory.id < other.id else other), False
            else:
                winner, narrower = (territory if width < other_width else other), True
            span = OverlapSpan(start, min(end, other_end), winner.name, narrower)
            add(territory, other, shared, span)
        active.append((start, end, territory))
    return sorted(found.values(), key=lambda o: (o.spans[0].start or 0, o.first, o.second))
