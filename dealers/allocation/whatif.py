"""The what-if preview: the last N leads replayed through the pure routing engine under
today's settings and under a proposed change of the routing world (dealers' weights, the
routing policy, a territory, a dealer's status: ``with_*`` below turn one into a changed
``RoutingContext``), each from empty share counters, never calling the routing service (which locks
and writes counters). Reports per owner how many leads each would have received and
which leads would move. Writes nothing.

Approximations, shown on the page: each lead is matched to accounts and claims as they
are now, in batches of 500 as of the batch's newest lead (claims that have since expired
or were withdrawn are not seen; claims approved after the lead are skipped by the
engine); open work is the company's leads that are open now and were created before the
replayed lead; weekly capacity counts only the replayed leads; leads are replayed as if
new (nobody excluded for an earlier rejection); everything the change leaves alone is
today's, the same in both runs, so the difference shows the proposal alone.
"""

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from dealers.allocation.weights import CENT, DealerWeight
from leads import routing
from leads.matching.matcher import CompanyKeys, match_companies
from leads.models import Lead
from leads.services import facts
from leads.services.routing import lead_facts
from leads.services.routing.decide import message_json

PREVIEW_DEFAULT = 500
PREVIEW_MAX = 2000
MATCH_BATCH = 500


@dataclass(frozen=True)
class ReplayLead:
    """One lead as the replay feeds it to the routing."""

    id: int
    company: str
    created_at: datetime
    facts: routing.LeadFacts
    account: routing.AccountFacts | None = None
    claims: tuple[routing.ClaimFacts, ...] = ()
    open_leads: tuple[routing.OpenLeadFacts, ...] = ()


def replay(
    leads: Sequence[ReplayLead], *, context: routing.RoutingContext
) -> list[routing.Decision]:
    """The engine's decisions for ``leads`` in order, from empty share counters, each at
    its own ``created_at``. Weekly capacity counts the leads this replay gave each
    dealer in the 7 days before; open work on a replayed lead follows the owner this
    replay gave it. Pure: no database."""
    counts: Counter = Counter()
    limited = any(d.weekly_capacity is not None for d in context.dealers.values())
    recent: dict[int, deque] = defaultdict(deque)
    owners: dict[int, routing.OwnerRef] = {}
    decisions = []
    for lead in leads:
        # Open work on a company follows the owner this replay gave the earlier lead.
        open_leads = tuple(
            replace(o, owner=owners[o.id]) if o.id in owners else o for o in lead.open_leads
        )
        loads = None
        if limited:
            week_ago = lead.created_at - timedelta(days=7)
            for times in recent.values():
                while times and times[0] <= week_ago:
                    times.popleft()
            loads = {dealer_id: len(times) for dealer_id, times in recent.items()}
        decision = routing.route(
            lead.facts,
            context=context,
            account=lead.account,
            claims=lead.claims,
            open_leads=open_leads,
            counts=counts,
            now=lead.created_at,
            loads=loads,
        )
        if decision.share_key is not None:
            counts[decision.share_key] += 1
        if limited and decision.owner.kind == "dealer":
            recent[int(decision.owner.id)].append(lead.created_at)
        owners[lead.id] = decision.owner
        decisions.append(decision)
    return decisions


def _changed(context: routing.RoutingContext, **parts) -> routing.RoutingContext:
    """``context`` with some of its dealers, reps, territories or policy replaced."""
    return routing.RoutingContext(
        dealers=parts.get("dealers", context.dealers),
        reps=parts.get("reps", context.reps),
        territories=parts.get("territories", context.territories),
        policy=parts.get("policy", context.policy),
    )


def with_weights(
    context: routing.RoutingContext,
    weights: Mapping[int, float | Decimal],
    *,
    policy: routing.RoutingPolicy | None = None,
) -> routing.RoutingContext:
    """The same world with some dealers' effective weights (and the policy) replaced."""
    dealers = {
        pk: replace(d, weight=float(weights[pk])) if pk in weights else d
        for pk, d in context.dealers.items()
    }
    return _changed(context, dealers=dealers, policy=policy or context.policy)


def with_policy(
    context: routing.RoutingContext,
    *,
    rule_order: Sequence[str] | None = None,
    enterprise_threshold: Decimal | None = None,
    team_fallback: bool | None = None,
) -> routing.RoutingContext:
    """The same world with the routing policy's rule order, enterprise threshold or team
    fallback replaced (None: as it is)."""
    changes: dict = {}
    if rule_order is not None:
        changes["rule_order"] = tuple(rule_order)
    if enterprise_threshold is not None:
        changes["enterprise_threshold"] = Decimal(enterprise_threshold)
    if team_fallback is not None:
        changes["team_fallback"] = bool(team_fallback)
    return _changed(context, policy=replace(context.policy, **changes))


NEW_TERRITORY_ID = -1  # a territory not saved yet, in a preview only


def with_territory(
    context: routing.RoutingContext,
    territory: routing.TerritoryFacts,
    *,
    active: bool = True,
) -> routing.RoutingContext:
    """The same world with ``territory`` (its ranges, sectors, owners and weights) in
    place of the one with its id, or added (a new one: ``NEW_TERRITORY_ID``); an
    inactive one is taken out, as routing only sees active territories."""
    territories = {pk: t for pk, t in context.territories.items() if pk != territory.id}
    if active:
        territories[territory.id] = territory
    return _changed(context, territories=territories)


def with_dealer_status(
    context: routing.RoutingContext, dealer_id: int, status: str
) -> routing.RoutingContext:
    """The same world with one dealer's status (active, paused, terminated) replaced."""
    dealers = {
        pk: replace(d, status=status) if pk == dealer_id else d for pk, d in context.dealers.items()
    }
    return _changed(context, dealers=dealers)


def with_dealer_capacity(
    context: routing.RoutingContext, dealer_id: int, weekly_capacity: int | None
) -> routing.RoutingContext:
    """The same world with one dealer's weekly capacity replaced (None: no limit)."""
    dealers = {
        pk: replace(d, weekly_capacity=weekly_capacity) if pk == dealer_id else d
        for pk, d in context.dealers.items()
    }
    return _changed(context, dealers=dealers)


RoutingChange = Callable[[routing.RoutingContext], routing.RoutingContext]


@dataclass(frozen=True)
class OwnerShift:
    owner: routing.OwnerRef
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class LeadMove:
    lead_id: int
    company: str
    created_at: datetime
    before: routing.OwnerRef
    after: routing.OwnerRef
    before_rule: str
    after_rule: str
    # The decisions' reasons as a lead stores them (``routing_reason``), for
    # ``portal.messages.render_message``: the sentence the lead page shows.
    before_reason: dict = field(default_factory=dict)
    after_reason: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Preview:
    """Who would have received the last ``leads`` leads today and with the proposal."""

    leads: int
    first: datetime | None
    last: datetime | None
    owners: list[OwnerShift]
    moves: list[LeadMove]
    weights: dict[int, Decimal] = field(default_factory=dict)

    @property
    def moved(self) -> int:
        return len(self.moves)

    @property
    def changed_owners(self) -> list[OwnerShift]:
        return [o for o in self.owners if o.delta]


def compare(
    leads: Sequence[ReplayLead],
    before: Sequence[routing.Decision],
    after: Sequence[routing.Decision],
    *,
    weights: Mapping[int, Decimal] | None = None,
) -> Preview:
    """Per-owner counts and the leads whose owner differs between two replays."""
    counted: dict = {}
    tally: dict = defaultdict(lambda: [0, 0])
    moves = []
    for lead, b, a in zip(leads, before, after, strict=True):
        counted.setdefault(b.owner.key, b.owner)
        counted.setdefault(a.owner.key, a.owner)
        tally[b.owner.key][0] += 1
        tally[a.owner.key][1] += 1
        if b.owner.key != a.owner.key:
            moves.append(
                LeadMove(
                    lead.id,
                    lead.company,
                    lead.created_at,
                    b.owner,
                    a.owner,
                    b.rule,
                    a.rule,
                    message_json(b.reason),
                    message_json(a.reason),
                )
            )
    owners = [OwnerShift(counted[key], *tally[key]) for key in counted]
    owners.sort(key=lambda o: (-abs(o.delta), -o.after, o.owner.name))
    return Preview(
        leads=len(leads),
        first=leads[0].created_at if leads else None,
        last=leads[-1].created_at if leads else None,
        owners=owners,
        moves=moves,
        weights=dict(weights or {}),
    )


PREVIEW_COLUMNS = (
    "id",
    "company_name",
    "country",
    "postcode",
    "postcode_number",
    "sector",
    "estimated_value",
    "temperature",
    "sales_ready",
    "qualification",
    "vat_number",
    "coc_number",
    "website",
    "contact_email",
    "created_at",
)


OPEN_WORK_COLUMNS = (
    "pk",
    "created_at",
    "company_normalized",
    "country",
    "vat_number",
    "website_domain",
    "email_domain",
    "account_id",
    "owner_dealer_id",
    "owner_user_id",
    "owner_queue_id",
)
OPEN_WORK_PER_LEAD = 20  # as the matcher keeps


def replay_leads(*, limit: int, context: routing.RoutingContext | None = None) -> list[ReplayLead]:
    """The last ``limit`` leads, oldest first, with their accounts and claims as the
    matcher finds them now (``match_companies``, batches of 500) and their open work:
    the company's leads that are open now and were created before the lead."""
    rows = list(Lead.objects.only(*PREVIEW_COLUMNS).order_by("-created_at", "-pk")[:limit])
    rows.reverse()
    context = context or facts.build_context()
    result = []
    for i in range(0, len(rows), MATCH_BATCH):
        batch = rows[i : i + MATCH_BATCH]
        keys = [CompanyKeys.of_lead(lead) for lead in batch]
        matches = match_companies(keys, now=batch[-1].created_at, with_open_leads=False)
        open_work = OpenWork.load(keys, matches, before=batch[-1].created_at, context=context)
        for lead, key, match in zip(batch, keys, matches, strict=True):
            result.append(
                ReplayLead(
                    id=lead.pk,
                    company=lead.company_name,
                    created_at=lead.created_at,
                    facts=lead_facts(lead, excluded=frozenset()),
                    account=facts.account_facts(match.account),
                    claims=tuple(facts.claim_facts(match.claims)),
                    open_leads=open_work.of(key, match.account, before=lead.created_at),
                )
            )
    return result


@dataclass
class OpenWork:
    """The open leads of a batch's companies, indexed by each identifier the matcher
    compares (``matcher._same_company``: account, VAT, website or e-mail domain, name
    within the country), so every replayed lead finds its own in a few lookups. One
    query of plain values per batch: the matcher's own open-lead search compares every
    lead with every open lead, which a replay of thousands cannot afford."""

    index: dict = field(default_factory=lambda: defaultdict(list))
    refs: dict = field(default_factory=dict)

    @classmethod
    def load(cls, keys, matches, *, before: datetime, context) -> "OpenWork":
        names = {k.name for k in keys if k.name and k.country}
        domains = {d for k in keys for d in k.domains}
        vats = {k.vat for k in keys if k.vat}
        accounts = {m.account.pk for m in matches if m.account is not None}
        condition = Q()
        if names:
            condition |= Q(company_normalized__in=names)
        if domains:
            condition |= Q(website_domain__in=domains) | Q(email_domain__in=domains)
        if vats:
            condition |= Q(vat_number__in=vats)
        if accounts:
            condition |= Q(account_id__in=accounts)
        work = cls()
        if not condition:
            return work
        rows = Lead.objects.filter(
            condition, status__in=Lead.OPEN_STATUSES, erased_at__isnull=True, created_at__lt=before
        ).values_list(*OPEN_WORK_COLUMNS)
        queues = {q.id: q for q in (context.policy.pool_queue, context.policy.nurture_queue)}
        for pk, created, name, country, vat, web, mail, account, dealer, user, queue in rows:
            if dealer:
                owner = context.dealer_refs.get(dealer) or routing.OwnerRef("dealer", dealer, "")
            elif user:
                owner = context.rep_refs.get(user) or routing.OwnerRef("user", user, "")
            else:
                owner = queues.get(queue) or routing.OwnerRef("queue", queue, queue)
            lead = routing.OpenLeadFacts(id=pk, owner=owner, created_at=created)
            if account:
                work.index[("account", account)].append(lead)
            if vat:
                work.index[("vat", vat)].append(lead)
            for domain in {web, mail} - {""}:
                work.index[("domain", domain)].append(lead)
            if name:
                work.index[("name", name, country)].append(lead)
        return work

    def of(self, key: CompanyKeys, account, *, before: datetime) -> tuple:
        found: dict[int, routing.OpenLeadFacts] = {}
        lookups = [("domain", d) for d in key.domains]
        if account is not None:
            lookups.append(("account", account.pk))
        if key.vat:
            lookups.append(("vat", key.vat))
        if key.name and key.country:
            lookups.append(("name", key.name, key.country))
        for lookup in lookups:
            for lead in self.index.get(lookup, ()):
                if lead.created_at < before:
                    found[lead.id] = lead
        ordered = sorted(found.values(), key=lambda o: (o.created_at, o.id))
        return tuple(ordered[:OPEN_WORK_PER_LEAD])


def routing_change_preview(
    change: RoutingChange,
    *,
    limit: int = PREVIEW_DEFAULT,
    now: datetime | None = None,
    weights: Mapping[int, Decimal | float] | None = None,
) -> Preview:
    """Replay the last ``limit`` leads under today's routing world and under
    ``change(today's world)`` (built with the ``with_*`` functions). Writes nothing."""
    now = now or timezone.now()
    limit = max(1, min(int(limit), PREVIEW_MAX))
    current = facts.build_context(on=timezone.localdate(now))
    proposed = change(current)
    leads = replay_leads(limit=limit, context=current)
    return compare(
        leads,
        replay(leads, context=current),
        replay(leads, context=proposed),
        weights={pk: Decimal(str(w)).quantize(CENT) for pk, w in (weights or {}).items()},
    )


def whatif_preview(
    *,
    weights: Mapping[int, Decimal | float],
    limit: int = PREVIEW_DEFAULT,
    now: datetime | None = None,
    policy: routing.RoutingPolicy | None = None,
) -> Preview:
    """Replay the last ``limit`` leads under today's settings and with the dealers'
    effective weights in ``weights`` (and ``policy``) instead. Writes nothing."""
    return routing_change_preview(
        lambda context: with_weights(context, weights, policy=policy),
        limit=limit,
        now=now,
        weights=weights,
    )


@dataclass(frozen=True)
class StatusPreview:
    """A dealer's status change: the replay, how many of its open leads applying routes
    again now (pausing and terminating do; reactivating routes nothing back) and how many
    of its claims terminating ends (``claims_end_for_dealer``: pending and approved)."""

    preview: Preview
    rerouted: int
    claims_ended: int = 0


def dealer_status_preview(
    *, dealer_id: int, status: str, limit: int = PREVIEW_DEFAULT, now: datetime | None = None
) -> StatusPreview:
    """Where the last ``limit`` leads would have gone with the dealer at ``status``, how
    many of its open leads ``dealer_set_status`` would route again and how many of its
    claims it would end. Writes nothing."""
    preview = routing_change_preview(
        lambda context: with_dealer_status(context, dealer_id, status), limit=limit, now=now
    )
    rerouted = 0
    if status != routing.DEALER_ACTIVE:
        rerouted = Lead.objects.filter(
            owner_dealer_id=dealer_id, status__in=Lead.OPEN_STATUSES
        ).count()
    claims_ended = 0
    if status == routing.DEALER_TERMINATED:
        from dealers.models import Claim

        claims_ended = Claim.objects.filter(
            dealer_id=dealer_id, status__in=(Claim.Status.PENDING, Claim.Status.APPROVED)
        ).count()
    return StatusPreview(preview, rerouted, claims_ended)


def proposed_weights(weights: Sequence[DealerWeight]) -> dict[int, Decimal]:
    """The effective weights after applying the computed ones (overrides still win)."""
    return {w.dealer.pk: w.effective_after for w in weights}
