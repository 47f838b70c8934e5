"""The coverage report, table-driven on engine facts (no database)."""

from leads.routing import (
    DealerFacts,
    RepFacts,
    RoutingContext,
    TerritoryFacts,
    TerritoryOwnerFacts,
)
from territories.coverage import NO_SECTOR, coverage_report

SECTORS = ["automotive", "food", "furniture"]
ALL = frozenset(SECTORS) | {NO_SECTOR}


def bounds(country):
    return {"NL": (1000, 9999), "DE": (1000, 99999)}.get(country)


def context(*territories, dealers=(), reps=()):
    dealers = dealers or [DealerFacts(1, "Alpha"), DealerFacts(2, "Beta")]
    return RoutingContext.build(dealers=dealers, reps=reps, territories=territories)


def dealer(pk, weight=1.0):
    return TerritoryOwnerFacts("dealer", pk, weight)


def report(*territories, **kwargs):
    return coverage_report(
        context(*territories, **kwargs), sectors=SECTORS, countries=["NL"], bounds=bounds
    )


def test_a_country_without_territories_is_one_gap_for_every_sector():
    result = report()
    assert [(g.country, g.start, g.end, g.all_missing) for g in result.gaps] == [
        ("NL", 1000, 9999, True)
    ]


def test_gaps_are_the_postcodes_no_range_covers_merged():
    result = report(
        TerritoryFacts(1, "West", "NL", ranges=((1000, 1999), (2000, 2999)), owners=(dealer(1),)),
        TerritoryFacts(2, "East", "NL", ranges=((7000, 9999),), owners=(dealer(2),)),
    )
    assert [(g.start, g.end) for g in result.gaps] == [(3000, 6999)]
    assert result.overlaps == []


def test_a_sector_territory_leaves_the_other_sectors_uncovered():
    result = report(
        TerritoryFacts(1, "Auto", "NL", sectors=frozenset({"automotive"}), owners=(dealer(1),))
    )
    (gap,) = result.gaps
    assert (gap.start, gap.end) == (1000, 9999)
    assert gap.missing == ALL - {"automotive"}
    assert not gap.all_missing
    assert gap.territories == ("Auto",)


def test_paused_dealers_weight_zero_and_deactivated_reps_are_no_owner():
    dealers = [DealerFacts(1, "Alpha", status="paused"), DealerFacts(2, "Beta", weight=0.0)]
    reps = [RepFacts(7, "Rita", is_active=False)]
    result = report(
        TerritoryFacts(1, "Paused", "NL", ranges=((1000, 4999),), owners=(dealer(1),)),
        TerritoryFacts(2, "Zero", "NL", ranges=((5000, 8999),), owners=(dealer(2),)),
        TerritoryFacts(
            3, "Rep", "NL", ranges=((9000, 9999),), owners=(TerritoryOwnerFacts("user", 7),)
        ),
        TerritoryFacts(4, "Empty", "DE"),
        dealers=dealers,
        reps=reps,
    )
    assert {(u.territory.name, u.reasons) for u in result.unstaffed} == {
        ("Paused", (("Alpha", "paused"),)),
        ("Zero", (("Beta", "weight_zero"),)),
        ("Rep", (("Rita", "deactivated"),)),
        ("Empty", ()),
    }
    nl = [(g.start, g.end) for g in result.gaps if g.country == "NL"]
    assert nl == [(1000, 4999), (5000, 8999), (9000, 9999)]  # not merged: other territories
    assert [(g.country, g.start) for g in result.gaps if g.country == "DE"] == [("DE", 1000)]


def test_a_whole_country_territory_fills_every_gap():
    result = report(
        TerritoryFacts(1, "Rijnmond", "NL", ranges=((3000, 3099),), owners=(dealer(1),)),
        TerritoryFacts(2, "Rest", "NL", owners=(dealer(2),)),
    )
    assert result.gaps == []
    assert result.overlaps == []  # a fallback behind specific ranges is no conflict
    assert result.is_clean


def test_overlaps_name_the_territory_routing_tries_first():
    result = report(
        TerritoryFacts(1, "Wide", "NL", ranges=((1000, 5999),), owners=(dealer(1),)),
        TerritoryFacts(2, "Narrow", "NL", ranges=((3000, 3999),), owners=(dealer(2),)),
        TerritoryFacts(3, "Twin", "NL", ranges=((6000, 9999),), owners=(dealer(1),)),
        TerritoryFacts(4, "Twin too", "NL", ranges=((6000, 9999),), owners=(dealer(2),)),
    )
    pairs = {(o.first, o.second): o for o in result.overlaps}
    assert set(pairs) == {("Wide", "Narrow"), ("Twin", "Twin too")}
    (span,) = pairs[("Wide", "Narrow")].spans
    assert (span.start, span.end, span.winner, span.narrower) == (3000, 3999, "Narrow", True)
    (span,) = pairs[("Twin", "Twin too")].spans
    assert (span.winner, span.narrower) == ("Twin", False)  # equal width: the older one


def test_territories_for_different_sectors_do_not_overlap():
    result = report(
        TerritoryFacts(1, "Auto", "NL", sectors=frozenset({"automotive"}), owners=(dealer(1),)),
        TerritoryFacts(2, "Food", "NL", sectors=frozenset({"food"}), owners=(dealer(2),)),
    )
    assert result.overlaps == []
    (gap,) = result.gaps
    assert gap.missing == {"furniture", NO_SECTOR}
