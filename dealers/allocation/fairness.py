"""The fairness report (DESIGN.md "Fairness"): for owners sharing a territory,
deviation = max over owners of |actual share − target share| / target share. Goal < 1 %
over 10,000 leads; the articles ask < 10 %.

Actual shares come from the live share counters (``leads.ShareCounter``): they count
every lead the engine gave by weighted share in a scope (a territory, or a sector within
a territory) since the scope's split last changed — a weight, owner or territory change
resets them — so the targets are today's weights. A lead only one owner could take (the
others rejected or lost it, are paused or at capacity) is no choice and is not counted
(``leads.routing``, "Weighted share"); counting those made DE Baden-Württemberg
in the demo 12 % off its 2 : 1 split, because its first dealer rejected or let lie more
than half its leads and each of them was counted again for the second.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from leads import routing
from leads.models import ShareCounter
from leads.services import facts
from leads.services.routing import LOCK_OWNER
from territories.models import Territory


def share_deviation(counts: Mapping, targets: Mapping) -> float | None:
    """DESIGN.md's deviation: max over owners of |actual share − target share| / target
    share, over owners with a target. ``counts`` and ``targets`` (weights, any scale)
    are keyed by owner; ``None`` without leads or targets."""
    total = sum(counts.values())
    weight = sum(w for w in targets.values() if w > 0)
    if not total or not weight:
        return None
    return max(
        abs(counts.get(key, 0) / total - w / weight) / (w / weight)
        for key, w in targets.items()
        if w > 0
    )


@dataclass(frozen=True)
class ShareRow:
    owner: routing.OwnerRef
    count: int
    actual: float
    target: float

    @property
    def deviation(self) -> float | None:
        return abs(self.actual - self.target) / self.target if self.target else None

    @property
    def actual_percent(self) -> float:
        return round(self.actual * 100, 2)

    @property
    def target_percent(self) -> float:
        return round(self.target * 100, 2)


@dataclass(frozen=True)
class Gap:
    """The owner furthest from its target share in a scope, in leads."""

    owner: routing.OwnerRef
    count: int
    expected: float  # the leads its target share of the total gives it
    deviation_percent: float

    @property
    def leads(self) -> float:
        return abs(self.count - self.expected)

    @property
    def above(self) -> bool:
        return self.count > self.expected


@dataclass(frozen=True)
class ScopeShares:
    """One weighted-share scope: a territory, or a sector within a territory."""

    scope: str
    territory: routing.TerritoryFacts
    sector: str | None
    total: int
    rows: list[ShareRow]
    deviation: float | None

    @property
    def deviation_percent(self) -> float | None:
        return None if self.deviation is None else round(self.deviation * 100, 2)

    @property
    def within_one_lead(self) -> bool:
        """Every owner with a target is less than one lead away from it: as close as
        whole leads allow (a small scope cannot get below 1 %)."""
        return self.deviation is not None and all(
            abs(row.count - row.target * self.total) < 1 + 1e-9 for row in self.rows if row.target
        )

    @property
    def largest_gap(self) -> Gap | None:
        """What the deviation is made of: the owner furthest from its target share (on
        a tie the one above it), or None without leads or targets."""
        rows = [row for row in self.rows if row.target and row.deviation is not None]
        if not self.total or not rows:
            return None
        row = max(rows, key=lambda r: (round(r.deviation, 9), r.count))
        return Gap(row.owner, row.count, row.target * self.total, round(row.deviation * 100, 2))

    @property
    def goal_met(self) -> bool:
        return self.deviation is not None and self.deviation < 0.01

    @property
    def articles_met(self) -> bool:
        return self.deviation is not None and self.deviation < 0.10


def scope_targets(
    territory: routing.TerritoryFacts, sector: str | None, context: routing.RoutingContext
) -> dict[routing.OwnerRef, float]:
    """The owners the engine shares this scope among, with their weights: a territory's
    eligible owners (active dealers, active reps) with weight above 0; for a sector scope
    only those specialised in it, unless the territory is reserved for the sector."""
    targets = {}
    for owner in territory.owners:
        if owner.owner_kind == "dealer":
            dealer = context.dealers.get(owner.owner_id)
            if dealer is None or dealer.status != routing.DEALER_ACTIVE:
                continue
            weight, sectors = owner.weight * dealer.weight, dealer.sectors
            ref = context.dealer_refs[dealer.id]
        else:
            rep = context.reps.get(owner.owner_id)
            if rep is None or not rep.is_active:
                continue
            weight, sectors = owner.weight, rep.sectors
            ref = context.rep_refs[rep.id]
        if sector is not None and sector not in territory.sectors and sector not in sectors:
            continue
        if weight > 0:
            targets[ref] = weight
    return targets


def _parse_owner(text: str) -> tuple[str, int] | None:
    kind, _sep, pk = text.partition(":")
    if kind not in ("dealer", "user") or not pk.isdigit():
        return None
    return kind, int(pk)


def fairness_report(
    *, territories: QuerySet[Territory] | None = None, now: datetime | None = None
) -> list[ScopeShares]:
    """Actual against target share in every shared scope (two or more owners) of these
    territories, from the live share counters: they count every lead the engine gave by
    share since the scope's split last changed (a weight, owner or territory change
    resets them), so the target is today's weights. Largest scopes first; a shared
    territory without leads since its last change is listed with its targets."""
    now = now or timezone.now()
    context = facts.routing_context(now=now)
    allowed = None
    if territories is not None:
        allowed = set(territories.values_list("pk", flat=True))
    counters: dict[str, dict[tuple, int]] = defaultdict(dict)
    rows = ShareCounter.objects.filter(
        Q(scope__startswith="territory:") | Q(scope__startswith="sector:")
    ).exclude(owner=LOCK_OWNER)
    for scope, owner, count in rows.values_list("scope", "owner", "count"):
        key = _parse_owner(owner)
        if key is not None and count:
            counters[scope][key] = count
    # Shared territories nobody was routed to since their split last changed are listed
    # too (no leads yet, the targets already), in the scope their leads are split in: a
    # territory reserved for sectors shares them per sector, never as a territory.
    for territory in context.territories.values():
        if len(territory.owners) < 2:
            continue
        if territory.sectors:
            for sector in sorted(territory.sectors):
                counters.setdefault(f"sector:{territory.id}:{sector}", {})
        else:
            counters.setdefault(f"territory:{territory.id}", {})
    report = []
    for scope, counts in counters.items():
        parts = scope.split(":")
        if not parts[1].isdigit():
            continue
        territory = context.territories.get(int(parts[1]))
        if territory is None or (allowed is not None and territory.id not in allowed):
            continue
        sector = parts[2] if parts[0] == "sector" and len(parts) > 2 else None
        targets = {
            ref.key: (ref, w) for ref, w in scope_targets(territory, sector, context).items()
        }
        keys = set(counts) | set(targets)
        if len(keys) < 2:
            continue
        total = sum(counts.values())
        weight = sum(w for _ref, w in targets.values())
        share_rows = []
        for key in keys:
            ref = targets[key][0] if key in targets else _ref(key, context)
            target = targets[key][1] / weight if key in targets and weight else 0.0
            count = counts.get(key, 0)
            share_rows.append(ShareRow(ref, count, count / total if total else 0.0, target))
        share_rows.sort(key=lambda r: (-r.target, -r.count, r.owner.name))
        report.append(
            ScopeShares(
                scope=scope,
                territory=territory,
                sector=sector,
                total=total,
                rows=share_rows,
                deviation=share_deviation(counts, {k: w for k, (_r, w) in targets.items()}),
            )
        )
    report.sort(key=lambda s: (-s.total, s.territory.name, s.sector or ""))
    return report


def _ref(key: tuple[str, int], context: routing.RoutingContext) -> routing.OwnerRef:
    kind, pk = key
    refs = context.dealer_refs if kind == "dealer" else context.rep_refs
    return refs.get(pk) or routing.OwnerRef(kind, pk, f"{kind} #{pk}")
