"""The :class:`RoutingContext`: dealers, reps, territories and policy, indexed once
(territories by country and postcode) for many decisions."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from leads.routing.facts import (
    ROLE_INTERNAL_SALES,
    ROLE_SENIOR,
    DealerFacts,
    OwnerRef,
    RepFacts,
    TerritoryFacts,
)
from leads.routing.policy import RoutingPolicy

# --- Context ---------------------------------------------------------------------

_WHOLE_COUNTRY = float("inf")  # the width of a territory without ranges


@dataclass(frozen=True, slots=True)
class _Owner:
    """A territory owner joined to its facts (``None`` when unknown to the context)."""

    ref: OwnerRef
    weight: float
    dealer: DealerFacts | None
    rep: RepFacts | None

    @property
    def sectors(self) -> frozenset[str]:
        facts = self.dealer or self.rep
        return facts.sectors if facts is not None else frozenset()


@dataclass(frozen=True, slots=True)
class _Territory:
    territory: TerritoryFacts
    owners: tuple[_Owner, ...]


@dataclass(frozen=True, slots=True)
class _CountryIndex:
    """Territories of one country, for a fast "which territories cover n?".

    The postcode line is cut at every range boundary into elementary segments;
    ``starts[i]`` is where segment ``i`` begins and ``covering[i]`` the
    territories covering it, most specific (narrowest covering range) first,
    whole-country territories last. A lookup is one ``bisect``.
    """

    starts: tuple[int, ...]
    covering: tuple[tuple[_Territory, ...], ...]
    whole_country: tuple[_Territory, ...]

    def lookup(self, number: int | None) -> tuple[_Territory, ...]:
        if number is None:
            return self.whole_country
        i = bisect_right(self.starts, number) - 1
        return self.whole_country if i < 0 else self.covering[i]

    @classmethod
    def build(cls, territories: Sequence[_Territory]) -> _CountryIndex:
        whole = tuple(
            sorted((t for t in territories if not t.territory.ranges), key=lambda t: t.territory.id)
        )
        ranged = [(lo, hi, t) for t in territories for lo, hi in t.territory.ranges]
        points = sorted({p for lo, hi, _t in ranged for p in (lo, hi + 1)})
        by_start = sorted(ranged, key=lambda r: r[0])
        active: dict[tuple[int, int, int], tuple[int, _Territory]] = {}
        starts: list[int] = []
        covering: list[tuple[_Territory, ...]] = []
        j = 0
        for point in points:
            for key in [k for k in active if k[1] + 1 <= point]:
                del active[key]
            while j < len(by_start) and by_start[j][0] <= point:
                lo, hi, t = by_start[j]
                if hi >= point:
                    active[(lo, hi, t.territory.id)] = (hi - lo + 1, t)
                j += 1
            narrowest: dict[int, tuple[int, _Territory]] = {}
            for width, t in active.values():
                known = narrowest.get(t.territory.id)
                if known is None or width < known[0]:
                    narrowest[t.territory.id] = (width, t)
            ordered = sorted(narrowest.values(), key=lambda wt: (wt[0], wt[1].territory.id))
            starts.append(point)
            covering.append(tuple(t for _w, t in ordered) + whole)
        return cls(starts=tuple(starts), covering=tuple(covering), whole_country=whole)


@dataclass(frozen=True, slots=True)
class RoutingContext:
    """Dealers, reps, territories and policy, indexed once for many decisions.

    Build it with :meth:`build` from iterables of facts, or construct it directly
    with mappings keyed by id. The indexes (owner references, senior and
    internal sales teams, territories per country and postcode) are computed in
    ``__post_init__``. The facts are a snapshot: dealer loads change as leads are
    assigned, so the caller rebuilds the context when it wants fresher loads.
    """

    dealers: Mapping[int, DealerFacts]
    reps: Mapping[int, RepFacts]
    territories: Mapping[int, TerritoryFacts]
    policy: RoutingPolicy = field(default_factory=RoutingPolicy)
    dealer_refs: Mapping[int, OwnerRef] = field(init=False, repr=False, compare=False)
    rep_refs: Mapping[int, OwnerRef] = field(init=False, repr=False, compare=False)
    seniors: tuple[RepFacts, ...] = field(init=False, repr=False, compare=False)
    internal_sales: tuple[RepFacts, ...] = field(init=False, repr=False, compare=False)
    _by_country: Mapping[str, _CountryIndex] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dealer_refs = {d.id: OwnerRef("dealer", d.id, d.name) for d in self.dealers.values()}
        rep_refs = {r.id: OwnerRef("user", r.id, r.name) for r in self.reps.values()}
        reps = sorted(self.reps.values(), key=lambda r: r.id)
        per_country: dict[str, list[_Territory]] = {}
        for t in self.territories.values():
            for lo, hi in t.ranges:
                if lo > hi:
                    raise ValueError(f"Territory {t.name}: range {lo}-{hi} is reversed")
            owners = []
            for o in t.owners:
                if o.owner_kind == "dealer":
                    dealer = self.dealers.get(o.owner_id)
                    ref = dealer_refs.get(o.owner_id) or OwnerRef(
                        "dealer", o.owner_id, f"Dealer #{o.owner_id}"
                    )
                    weight = o.weight * dealer.weight if dealer is not None else 0.0
                    owners.append(_Owner(ref, weight, dealer, None))
                else:
                    rep = self.reps.get(o.owner_id)
                    ref = rep_refs.get(o.owner_id) or OwnerRef(
                        "user", o.owner_id, f"User #{o.owner_id}"
                    )
                    owners.append(_Owner(ref, o.weight, None, rep))
            per_country.setdefault(t.country.upper(), []).append(_Territory(t, tuple(owners)))
        set_ = object.__setattr__
        set_(self, "dealer_refs", dealer_refs)
        set_(self, "rep_refs", rep_refs)
        set_(self, "seniors", tuple(r for r in reps if ROLE_SENIOR in r.roles))
        set_(self, "internal_sales", tuple(r for r in reps if ROLE_INTERNAL_SALES in r.roles))
        set_(self, "_by_country", {c: _CountryIndex.build(ts) for c, ts in per_country.items()})

    @classmethod
    def build(
        cls,
        *,
        dealers: Iterable[DealerFacts],
        reps: Iterable[RepFacts],
        territories: Iterable[TerritoryFacts],
        policy: RoutingPolicy | None = None,
    ) -> RoutingContext:
        """Index the given facts; ids must be unique per kind."""
        return cls(
            dealers=_by_id(dealers, "dealer"),
            reps=_by_id(reps, "rep"),
            territories=_by_id(territories, "territory"),
            policy=policy or RoutingPolicy(),
        )

    def territories_covering(
        self, country: str, postcode_number: int | None
    ) -> tuple[TerritoryFacts, ...]:
        """Territories covering a postcode, most specific first (whole country last).

        With ``postcode_number`` ``None`` only whole-country territories cover.
        Sectors are not considered here.
        """
        return tuple(t.territory for t in self._covering(country, postcode_number))

    def _covering(self, country: str, postcode_number: int | None) -> tuple[_Territory, ...]:
        index = self._by_country.get(country)
        return index.lookup(postcode_number) if index is not None else ()


_HasId = TypeVar("_HasId", DealerFacts, RepFacts, TerritoryFacts)


def _by_id(items: Iterable[_HasId], what: str) -> dict[int, _HasId]:
    result: dict[int, _HasId] = {}
    for item in items:
        if item.id in result:
            raise ValueError(f"Duplicate {what} id {item.id}")
        result[item.id] = item
    return result
