"""Benchmark of the routing engine: throughput and fairness, one process, one core.

Run from the project root::

    .venv/bin/python bench/bench_engine.py [--leads 200000] [--seed 42]

1. Throughput: a synthetic world of 40 dealers, 2,000 territory rules (postcode
   ranges over NL, BE, DE, AT, CH and LU; some sector-specific, some shared by 2-3
   dealers with weights), ~20 reps, 1,000 claims, accounts with installed base and
   open leads. It routes the leads one by one and feeds each decision back into the
   counts, as ``lead_route`` does. Goal: at least 20,000 decisions per second.
2. Territory lookup: the postcode index against a linear scan over all rules.
3. Fairness: 10,000 leads into one territory of four equal-weight dealers.
   Deviation = max over owners of |actual share - target share| / target share
   (DESIGN.md "Definitions"). Goal: below 1 %.

The synthetic data is random but seeded, so two runs route the same leads.
"""

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leads.routing import (
    AccountFacts,
    ClaimFacts,
    DealerFacts,
    InstalledProductFacts,
    LeadFacts,
    OpenLeadFacts,
    OwnerRef,
    RepFacts,
    RoutingContext,
    TerritoryFacts,
    TerritoryOwnerFacts,
    route,
)

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
SECTORS = (
    "agriculture",
    "automotive",
    "construction",
    "energy",
    "food",
    "furniture",
    "logistics",
    "machinery",
    "metalworking",
    "packaging",
    "pharma",
    "plastics",
    "retail",
)
# country: (share of territory rules, lowest and highest postcode number)
COUNTRIES = {
    "DE": (0.40, 1000, 99999),
    "NL": (0.20, 1000, 9999),
    "BE": (0.15, 1000, 9999),
    "AT": (0.10, 1000, 9999),
    "CH": (0.10, 1000, 9999),
    "LU": (0.05, 1000, 9999),
}
N_TERRITORY_RULES = 2000
N_CLAIMS = 1000
N_COMPANIES = 20000


def build_world(rng: random.Random):
    dealers = []
    for dealer_id in range(1, 41):
        status = "active"
        if dealer_id in (7, 23):
            status = "paused"
        elif dealer_id == 31:
            status = "terminated"
        capacity = rng.choice((None, None, None, 40, 80))
        dealers.append(
            DealerFacts(
                dealer_id,
                f"Dealer {dealer_id:02d}",
                status=status,
                sectors=frozenset(rng.sample(SECTORS, rng.choice((0, 0, 1, 1, 2)))),
                weekly_capacity=capacity,
                load_this_week=rng.randrange(0, 90) if capacity else rng.randrange(0, 30),
                weight=0.0 if dealer_id == 13 else round(rng.uniform(0.25, 2.0), 2),
            )
        )

    reps = []
    countries = tuple(COUNTRIES)
    for rep_id in range(101, 121):
        roles = {"internal_sales"}
        if rep_id <= 104:
            roles = {"senior"}
        elif rep_id <= 110:
            roles = {"account_manager", "internal_sales"}
        elif rep_id >= 118:
            roles = {"sales_manager"}
        away = rep_id in (103, 106, 112)
        reps.append(
            RepFacts(
                rep_id,
                f"Rep {rep_id}",
                is_active=rep_id != 115,
                roles=frozenset(roles),
                sectors=frozenset(rng.sample(SECTORS, rng.choice((0, 1)))),
                countries=frozenset(rng.sample(countries, rng.choice((0, 1, 2, 3)))),
                out_of_office_from=NOW - timedelta(days=2) if away else None,
                out_of_office_until=NOW + timedelta(days=5) if away else None,
                backup_id=rep_id + 1 if rep_id < 120 else None,
            )
        )

    territories = []
    territory_id = 0
    for country in COUNTRIES:
        territory_id += 1
        owner = rng.randrange(1, 41)
        territories.append(
            TerritoryFacts(
                territory_id,
                f"{country} country",
                country,
                (),
                owners=(TerritoryOwnerFacts("dealer", owner),),
            )
        )
    for country, (share, low, high) in COUNTRIES.items():
        span = high - low + 1
        for _ in range(int(N_TERRITORY_RULES * share)):
            territory_id += 1
            ranges = []
            for _r in range(rng.choice((1, 1, 1, 2))):
                width = max(1, int(span * rng.choice((0.001, 0.005, 0.01, 0.02, 0.05, 0.1))))
                lo = rng.randrange(low, high - width + 1)
                ranges.append((lo, lo + width - 1))
            n_owners = rng.choices((1, 2, 3), weights=(70, 20, 10))[0]
            if rng.random() < 0.05:
                owners = (TerritoryOwnerFacts("user", rng.randrange(105, 118)),)
            else:
                owners = tuple(
                    TerritoryOwnerFacts("dealer", d, rng.choice((1.0, 1.0, 0.5, 2.0)))
                    for d in rng.sample(range(1, 41), n_owners)
                )
            sectors = frozenset(rng.sample(SECTORS, 1)) if rng.random() < 0.15 else frozenset()
            territories.append(
                TerritoryFacts(
                    territory_id,
                    f"{country} {territory_id}",
                    country,
                    tuple(ranges),
                    sectors=sectors,
                    owners=owners,
                )
            )
    return dealers, reps, territories


def build_company_data(rng: random.Random):
    """Claims, accounts and open leads per company, as the matcher would hand them over."""
    companies = [f"Company {i:05d}" for i in range(N_COMPANIES)]
    claims = defaultdict(list)
    for claim_id, company in enumerate(rng.sample(companies, N_CLAIMS), start=1):
        approved = NOW - timedelta(days=rng.randrange(1, 150))
        claims[company].append(
            ClaimFacts(claim_id, rng.randrange(1, 41), company, approved, approved + timedelta(90))
        )
    accounts = {}
    parents = [
        AccountFacts(
            90000 + i,
            f"Group {i}",
            account_manager_id=rng.randrange(105, 111),
            installed_products=(InstalledProductFacts("Machine A", date(2021, 4, 1), f"A{i}"),),
        )
        for i in range(50)
    ]
    for account_id, company in enumerate(rng.sample(companies, 3000), start=1):
        customer = rng.random() < 0.3
        accounts[company] = AccountFacts(
            account_id,
            company,
            account_manager_id=rng.randrange(105, 111) if customer else None,
            serving_dealer_id=rng.randrange(1, 41) if rng.random() < 0.5 else None,
            installed_products=(
                (InstalledProductFacts("Machine B", date(2024, 2, 1), f"B{account_id}"),)
                if customer
                else ()
            ),
            parent=rng.choice(parents) if rng.random() < 0.1 else None,
        )
    open_leads = {}
    for lead_id, company in enumerate(rng.sample(companies, 1500), start=1):
        owner = rng.choice(
            (
                OwnerRef("dealer", rng.randrange(1, 41), "Dealer"),
                OwnerRef("user", rng.randrange(105, 118), "Rep"),
                OwnerRef("queue", "pool", "Channel pool"),
            )
        )
        open_leads[company] = [OpenLeadFacts(lead_id, owner, NOW - timedelta(days=3))]
    return companies, claims, accounts, open_leads


def make_leads(rng: random.Random, companies, n):
    countries = list(COUNTRIES)
    country_weights = [share for share, _lo, _hi in COUNTRIES.values()]
    leads = []
    for _ in range(n):
        country = rng.choices(countries, country_weights)[0]
        _share, low, high = COUNTRIES[country]
        number = rng.randint(low, high) if rng.random() < 0.9 else None
        ready = rng.random() < 0.95
        excluded = (
            frozenset({("dealer", rng.randrange(1, 41))}) if rng.random() < 0.03 else frozenset()
        )
        leads.append(
            LeadFacts(
                company_name=rng.choice(companies),
                country=country,
                postcode=str(number) if number is not None else None,
                postcode_number=number,
                sector=rng.choice(SECTORS) if rng.random() < 0.7 else None,
                estimated_value=Decimal(rng.choice((20000, 80000, 150000, 400000)))
                if rng.random() < 0.5
                else None,
                temperature=rng.choice(("hot", "warm", "cold")),
                sales_ready=ready,
                missing_qualification=() if ready else ("budget",),
                excluded_owners=excluded,
            )
        )
    return leads


def deviation(received: Counter, weights: dict) -> float:
    """max |actual share - target share| / target share over the owners."""
    total = sum(received.values())
    total_weight = sum(weights.values())
    return max(
        abs(received[owner] / total - w / total_weight) / (w / total_weight)
        for owner, w in weights.items()
    )


def bench_throughput(n_leads: int, seed: int) -> float:
    rng = random.Random(seed)
    dealers, reps, territories = build_world(rng)
    companies, claims, accounts, open_leads = build_company_data(rng)

    started = time.perf_counter()
    context = RoutingContext.build(dealers=dealers, reps=reps, territories=territories)
    build_seconds = time.perf_counter() - started
    n_rules = sum(len(t.ranges) or 1 for t in territories)
    print(
        f"world: {len(dealers)} dealers, {len(reps)} reps, {len(territories)} territories "
        f"({n_rules} postcode rules), {sum(map(len, claims.values()))} claims, "
        f"{len(accounts)} accounts, {len(open_leads)} companies with open leads"
    )
    print(f"context build: {build_seconds * 1000:.1f} ms")

    leads = make_leads(rng, companies, n_leads)
    counts: Counter = Counter()
    rules: Counter = Counter()
    no_claims: list = []
    started = time.perf_counter()
    for lead in leads:
        company = lead.company_name
        decision = route(
            lead,
            context=context,
            account=accounts.get(company),
            claims=claims.get(company, no_claims),
            open_leads=open_leads.get(company, no_claims),
            counts=counts,
            now=NOW,
        )
        key = decision.share_key
        if key is not None:
            counts[key] += 1
        rules[decision.rule] += 1
    seconds = time.perf_counter() - started
    rate = n_leads / seconds
    print(
        f"routed {n_leads:,} leads in {seconds:.2f} s: {rate:,.0f} decisions/s "
        f"({seconds / n_leads * 1e6:.1f} µs each) "
        f"[goal >= 20,000/s: {'met' if rate >= 20000 else 'NOT met'}]"
    )
    print("by rule: " + ", ".join(f"{rule} {n:,}" for rule, n in rules.most_common()))

    # Fairness inside the shared territories of this run (owners eligible throughout).
    by_scope: dict = defaultdict(Counter)
    for (scope, owner_key), n in counts.items():
        if scope[0] == "territory":
            by_scope[scope[1]][owner_key] = n
    worst = 0.0
    worst_leads = 0.0
    checked = 0
    for territory in territories:
        received = by_scope.get(territory.id)
        if not received or sum(received.values()) < 200 or len(territory.owners) < 2:
            continue
        weights = {}
        for owner in territory.owners:
            dealer = context.dealers.get(owner.owner_id)
            key = ("dealer", owner.owner_id)
            if dealer is None or key not in received:
                weights = {}
                break
            weights[key] = owner.weight * dealer.weight
        if len(weights) >= 2 and len(received) == len(weights):
            checked += 1
            worst = max(worst, deviation(received, weights))
            total, total_weight = sum(received.values()), sum(weights.values())
            worst_leads = max(
                worst_leads,
                *(abs(received[k] - total * w / total_weight) for k, w in weights.items()),
            )
    print(
        f"shared territories with >= 200 leads and all owners eligible: {checked}; "
        f"max deviation {worst:.2%}, at most {worst_leads:.2f} leads from the exact split"
    )

    bench_lookup(context, territories, rng)
    return worst


def bench_lookup(context: RoutingContext, territories, rng: random.Random) -> None:
    by_country = defaultdict(list)
    for t in territories:
        by_country[t.country].append(t)

    def linear(country, number):
        found = []
        for t in by_country[country]:
            if not t.ranges:
                found.append((float("inf"), t.id, t))
                continue
            widths = [hi - lo + 1 for lo, hi in t.ranges if lo <= number <= hi]
            if widths:
                found.append((min(widths), t.id, t))
        found.sort(key=lambda f: (f[0], f[1]))
        return tuple(f[2] for f in found)

    probes = []
    for _ in range(20000):
        country = rng.choice(list(COUNTRIES))
        _share, low, high = COUNTRIES[country]
        probes.append((country, rng.randint(low, high)))
    started = time.perf_counter()
    indexed = [context.territories_covering(c, n) for c, n in probes]
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scanned = [linear(c, n) for c, n in probes]
    scan_seconds = time.perf_counter() - started
    assert indexed == scanned, "the index disagrees with a linear scan"
    print(
        f"territory lookup: index {index_seconds / len(probes) * 1e6:.2f} µs, linear scan "
        f"{scan_seconds / len(probes) * 1e6:.1f} µs per lead (same answers)"
    )


def bench_fairness(n_leads: int = 10000, *, mixed_world: float | None = None) -> None:
    dealers = [DealerFacts(i, f"Dealer {i}") for i in range(1, 5)]
    territory = TerritoryFacts(
        1,
        "Shared",
        "NL",
        ((3000, 3999),),
        owners=tuple(TerritoryOwnerFacts("dealer", d.id, 1.0) for d in dealers),
    )
    context = RoutingContext.build(dealers=dealers, reps=(), territories=(territory,))
    lead = LeadFacts("Fair BV", "NL", "3511 AB", 3511)
    counts: Counter = Counter()
    received: Counter = Counter()
    for _ in range(n_leads):
        decision = route(
            lead, context=context, account=None, claims=(), open_leads=(), counts=counts, now=NOW
        )
        counts[decision.share_key] += 1
        received[decision.owner.key] += 1
    worst = deviation(received, dict.fromkeys(received, 1.0))
    split = ", ".join(f"{key[1]}: {n}" for key, n in sorted(received.items()))
    print(
        f"fairness: {n_leads:,} leads into one territory of 4 equal-weight dealers -> {split}; "
        f"max deviation {worst:.2%} [goal < 1%: {'met' if worst < 0.01 else 'NOT met'}]"
    )
    if mixed_world is not None:
        # Four equal owners split exactly by construction (largest deficit first); the
        # mixed world above (weights, capacities, exclusions) is the harder measure.
        print(
            f"fairness in the mixed world of the throughput run: max deviation "
            f"{mixed_world:.2%} (its shared territories got 200+ leads each, where one lead "
            "is 0.5 % or more of a share; the goal, < 1 %, is stated over 10,000 leads)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    mixed_world = bench_throughput(args.leads, args.seed)
    bench_fairness(mixed_world=mixed_world)


if __name__ == "__main__":
    main()
