"""The one door through which a lead gets, changes or loses its owner.

``lead_route`` lets the engine decide (a new lead, a rejection, a recycle, a paused
dealer); ``lead_assign`` records a person's choice (the channel manager assigns from
the pool or reassigns); ``leads_route_new`` routes a batch of new leads (CSV import).
All of them end in ``_hand_over``, which in one transaction writes the owners, the
routing decisions, the ownership stints, the events, the object permissions, the SLA
deadlines, the share counters and the notifications — set-wise, so a batch of 500 costs
about as many queries as one lead. Nothing else in the code changes an owner.

Weighted shares stay exact under concurrency: the engine decides once without locks to
learn which share scopes the leads use, the service locks those scopes' counter rows
(``SELECT … FOR UPDATE``, in a fixed order), reads the counts again and lets the engine
decide again on counts nobody else can change, then writes the new counts. Leads for
different territories never wait for each other.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from dealers.models import Dealer, DealerMembership
from leads import routing, world
from leads.matching.matcher import CompanyKeys, match_companies
from leads.models import (
    Assignment,
    Lead,
    LeadEvent,
    LeadGroupObjectPermission,
    LeadUserObjectPermission,
    Policy,
    Queue,
    ShareCounter,
)
from leads.services import calendars, deadlines, facts
from portal.db import insert_many, insert_rows
from portal.messages import message, moment, parts
from portal.users.models import Notification, User
from portal.users.services import notify_in_bulk, notify_many

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
# A batch that gives one owner more leads than this sends one summary, not an e-mail each.
SUMMARY_FROM = 3
# More notification rows than this (an import, a bulk move) go in with COPY.
BULK_NOTIFY = 50


@dataclass(frozen=True)
class Outcome:
    """What the door did for one lead: the owner, the rule, the reason, the deadlines."""

    owner: routing.OwnerRef
    rule: str
    reason: dict
    deadlines: deadlines.Deadlines


@dataclass
class HandOver:
    """One lead changing hands: who gets it, why, and how its previous stint ends."""

    lead: Lead
    owner: routing.OwnerRef
    rule: str
    reason: dict
    candidates: list = field(default_factory=list)
    end_reason: str = Assignment.EndReason.REASSIGNED
    event_kind: str = LeadEvent.Kind.ROUTED
    note: dict | None = None
    created: dict | None = None


# --- deciding ---------------------------------------------------------------------


def scope_text(scope) -> str:
    return ":".join(str(part) for part in scope)


def owner_text(key) -> str:
    return f"{key[0]}:{key[1]}"


def _parse_owner(text: str) -> tuple:
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
    rows = ShareCounter.objects.filter(scope__in=list(by_text)).exclude(owner=LOCK_OWNER)
    return {(by_text[row.scope], _parse_owner(row.owner)): row.count for row in rows}


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
    loads = facts.dealer_loads(now=now) if _capacity_matters(context, leads, matches) else None
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
            _save_counts(counts, start)
            return decisions
        # Decide again on the counts of the scopes we now hold locked.
        counts = Counter(start)
        for key in [k for k in counts if k[0] in used]:
            del counts[key]
        counts.update(_lock_scopes(used))
        locked |= used
    _save_counts(counts, start)
    return decisions


def _capacity_matters(context: routing.RoutingContext, leads, matches) -> bool:
    """Whether any dealer these leads could go to has a weekly capacity (then its load
    must be read); most leads can skip that query."""
    limited = {d.id for d in context.dealers.values() if d.weekly_capacity is not None}
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
    return list(
        ShareCounter.objects.select_for_update()
        .filter(scope__in=texts, owner=LOCK_OWNER)
        .order_by("scope")
        .values_list("pk", flat=True)
    )


def _save_counts(counts: Counter, start: dict) -> None:
    changed = [
        ShareCounter(scope=scope_text(scope), owner=owner_text(owner), count=n)
        for (scope, owner), n in counts.items()
        if n != start.get((scope, owner))
    ]
    if changed:
        ShareCounter.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["scope", "owner"],
            update_fields=["count"],
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
    progress reset."""
    now = now or timezone.now()
    with transaction.atomic():
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
        (outcome,) = _hand_over(
            [
                HandOver(
                    lead=lead,
                    owner=decision.owner,
                    rule=decision.rule,
                    reason=_message_json(decision.reason),
                    candidates=[_candidate_json(c) for c in decision.candidates],
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
        return _hand_over(
            [
                HandOver(
                    lead=lead,
                    owner=decision.owner,
                    rule=decision.rule,
                    reason=_message_json(decision.reason),
                    candidates=[_candidate_json(c) for c in decision.candidates],
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
        (outcome,) = _hand_over(
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


OWNERS = ("owner_dealer", "owner_user", "owner_queue")


def _ref_for(owner) -> routing.OwnerRef:
    if isinstance(owner, Dealer):
        return routing.OwnerRef("dealer", owner.pk, owner.name)
    if isinstance(owner, Queue):
        return routing.OwnerRef("queue", owner.pk, owner.name)
    return routing.OwnerRef("user", owner.pk, owner.name)


def _message_json(msg: routing.Message) -> dict:
    return {"msgid": msg.msgid, "params": dict(msg.params)}


def _candidate_json(note: routing.CandidateNote) -> dict:
    return {
        "owner": {"kind": note.owner.kind, "id": note.owner.id, "name": note.owner.name},
        "rule": note.rule,
        "chosen": note.chosen,
        "note": _message_json(note.note),
    }


def owner_snapshot(lead: Lead) -> dict | None:
    if lead.owner_dealer_id:
        return {"kind": "dealer", "id": lead.owner_dealer_id, "name": lead.owner_dealer.name}
    if lead.owner_user_id:
        return {"kind": "user", "id": lead.owner_user_id, "name": lead.owner_user.name}
    if lead.owner_queue_id:
        return {"kind": "queue", "id": lead.owner_queue_id, "name": lead.owner_queue.name}
    return None


def _permission_ids() -> tuple[int, int]:
    def load():
        perms = dict(
            Permission.objects.filter(
                content_type__app_label="leads", codename__in=["view_lead", "act_on_lead"]
            ).values_list("codename", "pk")
        )
        return perms["view_lead"], perms["act_on_lead"]

    return world.cached("lead-permissions", load)


def _dealer_groups() -> dict[int, int]:
    return world.cached("dealer-groups", lambda: dict(Dealer.objects.values_list("pk", "group_id")))


UPDATED_FIELDS = [
    "owner_dealer",
    "owner_user",
    "owner_queue",
    "dealer_assignee",
    "routing_rule",
    "routing_reason",
    "routing_candidates",
    "assigned_at",
    "status",
    "status_changed_at",
    "account",
    "first_update_due_at",
    "reminder_due_at",
    "escalation_due_at",
    "recycle_due_at",
    "updated_at",
]


def _hand_over(items: list[HandOver], *, actor: User | None, now: datetime) -> list[Outcome]:
    """Write everything that changes with the owners. Runs inside the caller's transaction."""
    terms = deadlines.SlaTerms.from_policy(Policy.current())
    new = [item for item in items if item.lead.pk is None]
    old = [item for item in items if item.lead.pk is not None]
    previous = {
        item.lead.pk: (owner_snapshot(item.lead), item.lead.owner_dealer_id) for item in old
    }

    if old:
        by_reason = defaultdict(list)
        for item in old:
            by_reason[item.end_reason].append(item.lead.pk)
        for end_reason, pks in by_reason.items():
            Assignment.objects.filter(lead_id__in=pks, ended_at__isnull=True).update(
                ended_at=now, end_reason=end_reason
            )
        pks = [item.lead.pk for item in old]
        LeadGroupObjectPermission.objects.filter(content_object_id__in=pks).delete()
        LeadUserObjectPermission.objects.filter(content_object_id__in=pks).delete()

    outcomes = []
    clocks_for: dict[tuple, deadlines.Deadlines] = {}  # one start: same inputs, same clocks
    places = calendars.owner_places((item.owner.kind, item.owner.id) for item in items)
    for item in items:
        lead, owner = item.lead, item.owner
        country, region = calendars.place_of(places, owner.kind, owner.id, lead.country_code)
        key = (owner.kind, lead.temperature, country, region)
        if key not in clocks_for:
            clocks_for[key] = deadlines.stint_deadlines(
                owner_kind=owner.kind,
                temperature=lead.temperature,
                country=country,
                region=region,
                start=now,
                terms=terms,
            )
        clocks = clocks_for[key]
        lead.owner_dealer_id = owner.id if owner.kind == "dealer" else None
        lead.owner_user_id = owner.id if owner.kind == "user" else None
        lead.owner_queue_id = owner.id if owner.kind == "queue" else None
        lead.dealer_assignee = None
        lead.routing_rule = item.rule
        lead.routing_reason = item.reason
        lead.routing_candidates = item.candidates
        lead.assigned_at = now
        lead.updated_at = now
        for name, value in clocks.as_fields().items():
            setattr(lead, name, value)
        if owner.kind == "queue" and owner.id == Queue.NURTURE:
            lead.status = Lead.Status.NURTURE
        elif lead.pk is None or lead.status in (
            *Lead.OPEN_STATUSES,
            Lead.Status.REJECTED,
            Lead.Status.RECYCLED,
            Lead.Status.NURTURE,
        ):
            lead.status = Lead.Status.NEW
        lead.status_changed_at = now
        outcomes.append(Outcome(owner=owner, rule=item.rule, reason=item.reason, deadlines=clocks))

    if new:
        for item in new:
            item.lead.fill_lookup_columns()
        insert_many(Lead, [item.lead for item in new], with_ids=True)
    new_pks = {item.lead.pk for item in new}
    if len(old) == 1:
        old[0].lead.save(update_fields=UPDATED_FIELDS)
    elif old:
        Lead.objects.bulk_update([item.lead for item in old], UPDATED_FIELDS, batch_size=500)

    insert_rows(
        Assignment,
        [
            {
                "lead_id": item.lead.pk,
                "owner_dealer_id": item.lead.owner_dealer_id,
                "owner_user_id": item.lead.owner_user_id,
                "owner_queue_id": item.lead.owner_queue_id,
                "rule": item.rule,
                "started_at": now,
                "sla_due_at": outcome.deadlines.first_update_due_at,
                "estimated_value": item.lead.estimated_value,
                **(
                    {"ended_at": now, "end_reason": Assignment.EndReason.NURTURE}
                    if item.lead.status == Lead.Status.NURTURE
                    else {}
                ),
            }
            for item, outcome in zip(items, outcomes, strict=True)
        ],
    )
    _grant(items)
    # A new lead's first event says where it came from and who got it; later hand-overs
    # record the previous owner too.
    insert_rows(
        LeadEvent,
        [
            {
                "lead_id": item.lead.pk,
                "kind": LeadEvent.Kind.CREATED if item.lead.pk in new_pks else item.event_kind,
                "actor_id": actor.pk if actor else None,
                "at": now,
                "from_owner": previous.get(item.lead.pk, (None, None))[0],
                "to_owner": {"kind": item.owner.kind, "id": item.owner.id, "name": item.owner.name},
                "reason": item.reason,
                "data": {
                    "rule": item.rule,
                    **((item.created or {}) if item.lead.pk in new_pks else {}),
                    **({"note": item.note} if item.note else {}),
                },
            }
            for item in items
        ],
    )
    _notify(items, outcomes, previous)
    return outcomes


def _grant(items: list[HandOver]) -> None:
    """Object permissions for the new owners: the dealer's group or the user."""
    view, act = _permission_ids()
    groups = _dealer_groups()
    group_rows, user_rows = [], []
    for item in items:
        if item.owner.kind == "dealer":
            group = groups[item.owner.id]
            group_rows += [
                {"group_id": group, "permission_id": p, "content_object_id": item.lead.pk}
                for p in (view, act)
            ]
        elif item.owner.kind == "user":
            user_rows += [
                {"user_id": item.owner.id, "permission_id": p, "content_object_id": item.lead.pk}
                for p in (view, act)
            ]
    insert_rows(LeadGroupObjectPermission, group_rows)
    insert_rows(LeadUserObjectPermission, user_rows)


def dealer_members(dealer_id: int) -> list[User]:
    """A dealer's active people (cached until someone joins, leaves or changes)."""
    return world.cached(
        ("dealer-members", dealer_id),
        lambda: [
            m.user
            for m in DealerMembership.objects.filter(
                dealer_id=dealer_id, user__is_active=True
            ).select_related("user")
        ],
    )


def _recipients(items: list[HandOver], previous: dict) -> dict:
    """People who act for each owner involved: dealer members, users, queue owners."""
    dealer_ids = {i.owner.id for i in items if i.owner.kind == "dealer"}
    dealer_ids |= {dealer_id for _snapshot, dealer_id in previous.values() if dealer_id}
    people: dict = defaultdict(list)
    for dealer_id in dealer_ids:
        people[("dealer", dealer_id)] = dealer_members(dealer_id)
    user_ids = {i.owner.id for i in items if i.owner.kind == "user"}
    if user_ids:
        for user in User.objects.filter(pk__in=user_ids, is_active=True):
            people[("user", user.pk)].append(user)
    queue_ids = {
        i.owner.id for i in items if i.owner.kind == "queue" and i.owner.id != Queue.NURTURE
    }
    if queue_ids:
        for queue in Queue.objects.filter(pk__in=queue_ids).select_related("responsible"):
            if queue.responsible and queue.responsible.is_active:
                people[("queue", queue.pk)].append(queue.responsible)
    return people


def _inbox_url() -> str:
    try:
        return reverse("leads:inbox")
    except NoReverseMatch:
        return "/"


def _notify(items: list[HandOver], outcomes: list[Outcome], previous: dict) -> None:
    """Tell each new owner what arrived, why, and what is expected by when; tell a dealer
    that lost a lead to the timer or a reassignment why. Marketing works the nurture
    queue in bulk, not lead by lead."""
    people = _recipients(items, previous)
    batch = []
    per_owner = Counter((item.owner.kind, item.owner.id) for item in items)
    summarised = {key for key, n in per_owner.items() if n > SUMMARY_FROM}
    first_due: dict[tuple, datetime] = {}  # each summarised owner's earliest deadline
    for item, outcome in zip(items, outcomes, strict=True):
        key, due = (item.owner.kind, item.owner.id), outcome.deadlines.first_update_due_at
        if key in summarised and due is not None and (key not in first_due or due < first_due[key]):
            first_due[key] = due
    inbox_url = _inbox_url() if summarised else ""
    for key in summarised:
        due = first_due.get(key)
        batch.append(
            {
                "recipients": people.get(key, []),
                "kind": Notification.Kind.ASSIGNED,
                "subject": message(
                    gettext_noop("%(count)s new leads for you"), count=per_owner[key]
                ),
                "body": message(
                    gettext_noop(
                        "Accept or reject each of them and give a first update; the first is due %(due)s."
                    ),
                    due=moment(due) if due else "—",
                ),
                "url": inbox_url,
                "lead": None,
            }
        )
    for item, outcome in zip(items, outcomes, strict=True):
        lead, owner = item.lead, item.owner
        recipients = people.get((owner.kind, owner.id), [])
        if recipients and (owner.kind, owner.id) not in summarised:
            if outcome.deadlines.first_update_due_at is not None:
                due = moment(outcome.deadlines.first_update_due_at)
                action = message(
                    gettext_noop("Accept or reject it and give a first update by %(due)s."), due=due
                )
            else:
                action = message(gettext_noop("Assign it to an owner."))
            batch.append(
                {
                    "recipients": recipients,
                    "kind": Notification.Kind.ASSIGNED,
                    "subject": message(
                        gettext_noop("New lead: %(company)s (%(city)s)"),
                        company=lead.company_name,
                        city=lead.city or lead.postcode or lead.country_code,
                    ),
                    "body": parts(item.reason, action),
                    "url": lead.get_absolute_url(),
                    "lead": lead,
                }
            )
        _snapshot, dealer_id = previous.get(lead.pk, (None, None))
        if (
            dealer_id
            and dealer_id != lead.owner_dealer_id
            and item.end_reason != Assignment.EndReason.REJECTED
        ):
            if item.end_reason == Assignment.EndReason.RECYCLED:
                body = message(
                    gettext_noop(
                        "There was no update within the agreed time, so the lead went to another owner."
                    )
                )
            else:
                body = item.note or message(
                    gettext_noop("The channel manager reassigned the lead.")
                )
            batch.append(
                {
                    "recipients": people.get(("dealer", dealer_id), []),
                    "kind": Notification.Kind.RECYCLED,
                    "subject": message(
                        gettext_noop("Lead taken back: %(company)s"), company=lead.company_name
                    ),
                    "body": body,
                    "url": "",
                    "lead": None,
                }
            )
    if len(batch) > BULK_NOTIFY:  # an import or a bulk move: COPY, sent by the outbox tasks
        notify_in_bulk(batch)
    else:
        notify_many(batch)
