"""Route a lead: let the engine decide (or take a person's choice) and record the
decision; the hand-over itself is ``handover.hand_over``.

``lead_route`` lets the engine decide (a new lead, a rejection, a recycle, a paused
dealer); ``lead_assign`` records a person's choice (the channel manager assigns from
the pool or reassigns); ``leads_route_new`` routes a batch of new leads (CSV import).

Weighted shares stay exact under concurrency: the engine decides once without locks to
learn which share scopes the leads use, the service locks those scopes' counter rows
(``SELECT … FOR UPDATE``, in a fixed order), reads the counts again and lets the engine
decide again on counts nobody else can change, then writes the new counts. Leads for
different territories never wait for each other.
"""

from collections import Counter
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from dealers.models import Dealer
from leads import routing
from leads.matching.matcher import CompanyKeys, match_companies
from leads.models import Assignment, Lead, LeadEvent, Queue, ShareCounter
from leads.services import facts
from leads.services.routing.handover import OWNERS, HandOver, Outcome, hand_over
from portal.db import upsert_rows
from portal.messages import message
from portal.prepared import rows_of
from portal.users.models import User

LOCK_OWNER = "~lock"
QUALIFICATION_LABELS = {
    "fits_profile": gettext_noop("fits the customer profile"),
    "decision_level": gettext_noop("decision-level contact"),
    "need": gettext_noop("needs what we sell"),
    "evaluation_3m": gettext_noop("evaluation within 3 months"),
    "purchase_6m": gettext_noop("purchase within 6 months"),
    "talk_2w": gettext_noop("willing to talk within 2 weeks"),
}
LEAVING = (Assignment.EndReason.REJECTED, Assignment.EndReason.RECYCLED)


# --- deciding ---------------------------------------------------------------------


def scope_text(scope) -> str:
    return ":".join(str(part) for part in scope)


def owner_text(key) -> str:
    return f"{key[0]}:{key[1]}"


def parse_owner(text: str) -> tuple:
    kind, _sep, pk = text.partition(":")
    return (kind, pk if kind == "queue" else int(pk))


def candidate_scopes(context: routing.RoutingContext, lead: Lead) -> list[tuple]:
    """Every weighted-share scope the engine could use for this lead."""
    scopes = [routing.SCOPE_SENIOR, routing.SCOPE_INTERNAL_SALES]
    for territory in context.territories_covering(lead.country_code, lead.postcode_number):
        scopes.append(("territory", territory.id))
        if lead.sector:
            scopes.append(("sector", territory.id, lead.sector))
    return scopes


def load_counts(scopes) -> dict:
    by_text = {scope_text(scope): scope for scope in scopes}
    texts = sorted(by_text)
    rows = rows_of(("share-counts", len(texts)), _counts_query, tuple(texts))
    return {(by_text[scope], parse_owner(owner)): count for scope, owner, count in rows}


def _counts_query(*texts):
    return (
        ShareCounter.objects.filter(scope__any=list(texts))
        .exclude(owner=LOCK_OWNER)
        .values_list("scope", "owner", "count")
    )


def excluded_owners(lead: Lead) -> frozenset:
    """Owners that rejected or lost (recycled) this lead: never routed to them again."""
    if lead.pk is None:
        return frozenset()
    stints = Assignment.objects.filter(lead=lead, end_reason__in=LEAVING).values_list(
        "owner_dealer_id", "owner_user_id"
    )
    return frozenset(("dealer", d) if d else ("user", u) for d, u in stints)


def qualification_gaps(answers: dict) -> list[str]:
    """The lead-definition criteria answered "no" (seed 004)."""
    return [key for key in QUALIFICATION_LABELS if answers.get(key) is False]


def lead_facts(lead: Lead, *, excluded: frozenset, moved_from=None) -> routing.LeadFacts:
    gaps = qualification_gaps(lead.qualification or {})
    return routing.LeadFacts(
        company_name=lead.company_name,
        country=lead.country_code,
        postcode=lead.postcode or None,
        postcode_number=lead.postcode_number,
        sector=lead.sector or None,
        estimated_value=lead.estimated_value,
        temperature=lead.temperature,
        sales_ready=lead.sales_ready,
        missing_qualification=tuple(QUALIFICATION_LABELS[g] for g in gaps),
        excluded_owners=excluded,
        moved_from=moved_from,
    )


def decide_many(
    leads: list[Lead],
    *,
    now: datetime,
    excluded: list[frozenset] | None = None,
    moved_from: list | None = None,
) -> list[routing.Decision]:
    """Run the engine for each lead, in order, with locked and fresh share counts; the
    new counts are written before returning. Must run inside a transaction.
    ``moved_from`` holds, per lead, the owner a manager takes it away from (or None)."""
    context = facts.routing_context(now=now)
    matches = match_companies(
        [CompanyKeys.of_lead(lead) for lead in leads], now=now, exclude_pks=[x.pk for x in leads]
    )
    excluded = excluded or [excluded_owners(lead) for lead in leads]
    moved_from = moved_from or [None] * len(leads)
    limited = {d.id for d in context.dealers.values() if d.weekly_capacity is not None}
    loads = (
        facts.dealer_loads(limited, now=now)
        if _capacity_matters(context, limited, leads, matches)
        else None
    )
    inputs = []
    for lead, match, gone, moved in zip(leads, matches, excluded, moved_from, strict=True):
        if lead.account_id is None and match.account is not None:
            lead.account = match.account
        inputs.append(
            (
                lead_facts(lead, excluded=gone, moved_from=moved),
                {
                    "account": facts.account_facts(match.account),
                    "claims": facts.claim_facts(match.claims),
                    "open_leads": facts.open_lead_facts(match.open_leads),
                },
            )
        )
    scopes = {scope for lead in leads for scope in candidate_scopes(context, lead)}
    # Lock the territories' scopes up front (a batch: all it touches; one lead: only its
    # own territories, so leads for different territories never wait for each other)
    # and decide on counts nobody else can change meanwhile. The team scopes are locked
    # only when a decision lands there (deal size, fallback), and then decided again.
    first = scopes if len(leads) > 1 else {s for s in scopes if s[0] != "team"}
    counts, locked = Counter(_lock_scopes(first) if first else {}), set(first)
    for _attempt in range(3):
        start = dict(counts)
        decisions = []
        for the_facts, known in inputs:
            decision = routing.route(
                the_facts, context=context, counts=counts, now=now, loads=loads, **known
            )
            if decision.share_key is not None:
                counts[decision.share_key] += 1
            if loads is not None and decision.owner.kind == "dealer":
                loads[decision.owner.id] = loads.get(decision.owner.id, 0) + 1
            decisions.append(decision)
        used = {d.share_scope for d in decisions if d.share_scope is not None}
        if used <= locked:
            save_counts(counts, start)
            return decisions
        # Decide again on the counts of the scopes we now hold locked.
        counts = Counter(start)
        for key in [k for k in counts if k[0] in used]:
            del counts[key]
        counts.update(_lock_scopes(used))
        locked |= used
    save_counts(counts, start)
    return decisions


def _capacity_matters(context: routing.RoutingContext, limited: set, leads, matches) -> bool:
    """Whether any dealer these leads could go to is one of the ``limited`` (with a
    weekly capacity: then its load must be read); most leads can skip that query."""
    if not limited:
        return False
    if len(leads) > 1:
        return True
    (lead,), (match,) = leads, matches
    candidates = {
        o.owner_id
        for t in context.territories_covering(lead.country_code, lead.postcode_number)
        for o in t.owners
        if o.owner_kind == "dealer"
    }
    candidates |= {c.dealer_id for c in match.claims}
    candidates |= {x.owner_dealer_id for x in match.open_leads if x.owner_dealer_id}
    account = match.account
    while account is not None:
        candidates.add(account.serving_dealer_id)
        account = account.parent
    return bool(candidates & limited)


def _lock_scopes(scopes) -> dict:
    """Lock ``scopes`` (their lock rows, in a fixed order, so two transactions never
    deadlock; created on first use) and return their counts, read after the lock is held:
    a statement that waited for a lock does not see rows committed meanwhile, a new one
    does."""
    texts = sorted(scope_text(scope) for scope in scopes)
    if len(_locked_rows(texts)) < len(texts):
        ShareCounter.objects.bulk_create(
            [ShareCounter(scope=text, owner=LOCK_OWNER) for text in texts],
            ignore_conflicts=True,
        )
        _locked_rows(texts)
    return load_counts(scopes)


def _locked_rows(texts: list[str]) -> list[int]:
    return [pk for (pk,) in rows_of(("share-locks", len(texts)), _locks_query, tuple(texts))]


def _locks_query(*texts):
    return (
        ShareCounter.objects.select_for_update()
        .filter(scope__any=list(texts), owner=LOCK_OWNER)
        .order_by("scope")
        .values_list("pk")
    )


def save_counts(counts: Counter, start: dict) -> None:
    changed = [
        (scope_text(scope), owner_text(owner), n)
        for (scope, owner), n in counts.items()
        if n != start.get((scope, owner))
    ]
    upsert_rows(
        ShareCounter,
        ("scope", "owner", "count"),
        changed,
        unique=("scope", "owner"),
        update=("count",),
    )


# --- the doors --------------------------------------------------------------------


def lead_route(
    *,
    lead: Lead,
    actor: User | None = None,
    now: datetime | None = None,
    end_reason: str = Assignment.EndReason.REASSIGNED,
    event_kind: str = LeadEvent.Kind.ROUTED,
    note: dict | None = None,
    created: dict | None = None,
    away_from_current: bool = False,
) -> Outcome:
    """Let the engine choose the owner of ``lead`` and hand it over.

    A new lead (not saved yet) is created; ``created`` is data for its first event
    (where it came from: source, external id, file line). An
    existing one ends its current stint with ``end_reason``; owners that rejected or
    lost the lead, including the one giving it up now, are excluded. With
    ``away_from_current`` (a manager's "route again") the current dealer or rep is
    passed over for this decision only, so the lead does not land where it was with its
    progress reset.

    Atomic; inside the caller's transaction it joins it without a savepoint of its own
    (two round trips fewer on a lead's way in): a failure rolls back the caller's whole
    transaction, so a caller that goes on after one wraps the call in an atomic block of
    its own, as the SLA sweep does per lead."""
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        excluded, moved_from = frozenset(), None
        if lead.pk is not None:
            lead = (
                Lead.objects.select_for_update(of=("self",)).select_related(*OWNERS).get(pk=lead.pk)
            )
            excluded = excluded_owners(lead)
            if lead.owner_kind in ("dealer", "user"):
                current = (lead.owner_kind, lead.owner_id)
                if end_reason in LEAVING:
                    excluded |= {current}
                elif away_from_current:
                    moved_from = current
        (decision,) = decide_many([lead], now=now, excluded=[excluded], moved_from=[moved_from])
        (outcome,) = hand_over(
            [
                HandOver(
                    lead=lead,
                    owner=decision.owner,
                    rule=decision.rule,
                    reason=message_json(decision.reason),
                    candidates=[candidate_json(c) for c in decision.candidates],
                    end_reason=end_reason,
                    event_kind=event_kind,
                    note=note,
                    created=created,
                )
            ],
            actor=actor,
            now=now,
        )
    return outcome


def leads_route_new(
    *,
    leads: list[Lead],
    created: list[dict],
    actor: User | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """Create and route many new leads in one transaction (the CSV import's door)."""
    now = now or timezone.now()
    with transaction.atomic():
        decisions = decide_many(leads, now=now, excluded=[frozenset()] * len(leads))
        return hand_over(
            [
                HandOver(
                    lead=lead,
                    owner=decision.owner,
                    rule=decision.rule,
                    reason=message_json(decision.reason),
                    candidates=[candidate_json(c) for c in decision.candidates],
                    created=made,
                )
                for lead, decision, made in zip(leads, decisions, created, strict=True)
            ],
            actor=actor,
            now=now,
        )


def lead_assign(
    *,
    lead: Lead,
    owner: Dealer | User | Queue,
    actor: User,
    reason: str,
    now: datetime | None = None,
) -> Outcome:
    """A person gives ``lead`` to ``owner`` (a dealer, an internal user or a queue)."""
    now = now or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update(of=("self",)).select_related(*OWNERS).get(pk=lead.pk)
        (outcome,) = hand_over(
            [
                HandOver(
                    lead=lead,
                    owner=_ref_for(owner),
                    rule="manual",
                    reason=message(
                        gettext_noop("Assigned by %(actor)s: %(reason)s"),
                        actor=actor.name,
                        reason=reason,
                    ),
                    event_kind=LeadEvent.Kind.REASSIGNED,
                    note={"text": reason},
                )
            ],
            actor=actor,
            now=now,
        )
    return outcome


def _ref_for(owner) -> routing.OwnerRef:
    if isinstance(owner, Dealer):
        return routing.OwnerRef("dealer", owner.pk, owner.name)
    if isinstance(owner, Queue):
        return routing.OwnerRef("queue", owner.pk, owner.name)
    return routing.OwnerRef("user", owner.pk, owner.name)


def message_json(msg: routing.Message) -> dict:
    return {"msgid": msg.msgid, "params": dict(msg.params)}


def candidate_json(note: routing.CandidateNote) -> dict:
    return {
        "owner": {"kind": note.owner.kind, "id": note.owner.id, "name": note.owner.name},
        "rule": note.rule,
        "chosen": note.chosen,
        "note": message_json(note.note),
    }
