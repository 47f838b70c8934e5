"""Rows → the routing engine's frozen facts.

The engine (``leads.routing``) knows nothing of Django; these functions load
what it needs with a fixed number of queries and translate our vocabulary to its own
(``senior_rep`` → ``senior``, ``is_account_manager`` → ``account_manager``).

The static part of the world (dealers, reps, territories, policy) is cached in the
process and rebuilt when ``routing_world_changed()`` bumps the version in the cache,
which the models' ``post_save`` / ``post_delete`` signals do.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch

from dealers.models import Dealer
from leads import routing as engine
from leads import world
from leads.models import Account, Assignment, Lead, Policy, Queue
from portal.users.models import Role, StaffProfile
from territories.models import Territory, TerritoryOwner

ROLE_NAMES = {
    Role.CHANNEL_MANAGER: engine.ROLE_CHANNEL_MANAGER,
    Role.INTERNAL_SALES: engine.ROLE_INTERNAL_SALES,
    Role.SALES_MANAGER: engine.ROLE_SALES_MANAGER,
    Role.SENIOR_REP: engine.ROLE_SENIOR,
}


def owner_key(kind: str, pk) -> str:
    """The string form of an owner used in counters and exclusions: ``dealer:3``."""
    return f"{kind}:{pk}"


def owner_ref_of(row) -> engine.OwnerRef:
    """The engine's reference to the owner of a lead or stint row."""
    if row.owner_dealer_id:
        return engine.OwnerRef("dealer", row.owner_dealer_id, row.owner_dealer.name)
    if row.owner_user_id:
        return engine.OwnerRef("user", row.owner_user_id, row.owner_user.name)
    return engine.OwnerRef("queue", row.owner_queue_id, row.owner_queue.name)


def dealer_facts(dealer: Dealer, *, on=None) -> engine.DealerFacts:
    return engine.DealerFacts(
        id=dealer.pk,
        name=dealer.name,
        status=dealer.status,
        sectors=frozenset(dealer.sectors or ()),
        weekly_capacity=dealer.weekly_capacity,
        weight=dealer.effective_weight(on),
    )


def rep_facts(profile: StaffProfile) -> engine.RepFacts:
    roles = {ROLE_NAMES[Role(profile.role)]}
    if profile.is_account_manager:
        roles.add(engine.ROLE_ACCOUNT_MANAGER)
    return engine.RepFacts(
        id=profile.user_id,
        name=profile.user.name,
        is_active=profile.user.is_active,
        roles=frozenset(roles),
        sectors=frozenset(profile.sectors or ()),
        countries=frozenset(c.code for c in profile.countries),
        out_of_office_from=profile.out_of_office_from,
        out_of_office_until=profile.out_of_office_until,
        backup_id=profile.backup_id,
    )


def territory_facts(territory: Territory) -> engine.TerritoryFacts:
    return engine.TerritoryFacts(
        id=territory.pk,
        name=territory.name,
        country=territory.country.code,
        ranges=tuple((r.start, r.end) for r in territory.ranges.all()),
        sectors=frozenset(territory.sectors or ()),
        owners=tuple(
            engine.TerritoryOwnerFacts(
                "dealer" if o.dealer_id else "user", o.dealer_id or o.user_id, float(o.weight)
            )
            for o in territory.owners.all()
        ),
    )


def policy_facts(policy: Policy) -> engine.RoutingPolicy:
    queues = {q.slug: q.name for q in Queue.objects.all()}
    return engine.RoutingPolicy(
        rule_order=tuple(policy.rule_order),
        enterprise_threshold=policy.enterprise_threshold,
        team_fallback=policy.team_fallback,
        pool_queue=engine.OwnerRef("queue", Queue.POOL, queues.get(Queue.POOL, "Channel pool")),
        nurture_queue=engine.OwnerRef(
            "queue", Queue.NURTURE, queues.get(Queue.NURTURE, "Marketing nurture")
        ),
    )


def build_context(*, on=None) -> engine.RoutingContext:
    """The whole routing world from the database, in six queries."""
    territories = (
        Territory.objects.filter(is_active=True)
        .prefetch_related("ranges", Prefetch("owners", queryset=TerritoryOwner.objects.all()))
        .order_by("pk")
    )
    profiles = StaffProfile.objects.select_related("user").order_by("user_id")
    return engine.RoutingContext.build(
        dealers=[dealer_facts(d, on=on) for d in Dealer.objects.order_by("pk")],
        reps=[rep_facts(p) for p in profiles],
        territories=[territory_facts(t) for t in territories],
        policy=policy_facts(Policy.current()),
    )


def routing_world_changed(**signal_kwargs) -> None:
    """Invalidate every process's cached routing context."""
    world.changed(**signal_kwargs)


def routing_context(*, now: datetime) -> engine.RoutingContext:
    """The cached context, rebuilt when the world changed or the day turned (weight
    overrides end on a date)."""
    day = now.date()
    return world.cached(("context", day), lambda: build_context(on=day))


def dealer_loads(dealer_ids: Iterable[int], *, now: datetime) -> dict[int, int]:
    """Leads assigned to each of ``dealer_ids`` (the capacity-limited dealers) in the
    last 7 days, in one query. The ids are a list, not a subquery: the planner reads
    each dealer's stints from its index whatever its statistics say (a subquery, on
    tables an import had grown, counted every stint of the week: 13 ms per batch at
    70,000 leads, against 0.3 ms)."""
    rows = (
        Assignment.objects.filter(
            owner_dealer__in=sorted(dealer_ids), started_at__gte=now - timedelta(days=7)
        )
        .values("owner_dealer")
        .annotate(n=Count("pk"))
    )
    return {row["owner_dealer"]: row["n"] for row in rows}


def account_facts(account: Account | None, *, depth: int = 0) -> engine.AccountFacts | None:
    """The account with its installed base and parent chain (prefetched by the matcher)."""
    if account is None or depth > 5:
        return None
    return engine.AccountFacts(
        id=account.pk,
        name=account.legal_name,
        account_manager_id=account.account_manager_id,
        serving_dealer_id=account.serving_dealer_id,
        installed_products=tuple(
            engine.InstalledProductFacts(p.product, p.installed_on, p.serial_number)
            for p in account.installed_base.all()
        ),
        parent=account_facts(account.parent, depth=depth + 1) if account.parent_id else None,
    )


def claim_facts(claims) -> list[engine.ClaimFacts]:
    return [
        engine.ClaimFacts(
            id=c.pk,
            dealer_id=c.dealer_id,
            company_name=c.company_name,
            approved_at=c.approved_at,
            expires_at=c.expires_at,
        )
        for c in claims
    ]


def open_lead_facts(leads: list[Lead]) -> list[engine.OpenLeadFacts]:
    return [
        engine.OpenLeadFacts(id=lead.pk, owner=owner_ref_of(lead), created_at=lead.created_at)
        for lead in leads
    ]
