"""The one door through which a lead gets, changes or loses its owner.

``lead_route`` lets the engine decide (a new lead, a rejection, a recycle, a paused
dealer); ``lead_assign`` records a person's choice (the channel manager assigns from
the pool or reassigns). Both end in ``_hand_over``, which in one transaction writes the
owner, the routing decision, the ownership stint, the event, the object permissions,
the SLA deadlines, the share counter and the notifications. Nothing else in the code
changes an owner.

Weighted shares stay exact under concurrency: the engine decides once without locks,
then the service locks the chosen scope's counter row (``SELECT … FOR UPDATE``), reads
the counts again and lets the engine decide again with the fresh counts before it
increments. Leads for different territories never wait for each other.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from dealers.models import Dealer
from leads.matching.matcher import CompanyKeys, match_company
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
from leads.routing import engine
from leads.services import deadlines, facts
from portal.messages import message, parts
from portal.users.models import Notification, User
from portal.users.services import notify

LOCK_OWNER = "~lock"
QUALIFICATION_LABELS = {
    "fits_profile": gettext_noop("fits the customer profile"),
    "decision_level": gettext_noop("decision-level contact"),
    "need": gettext_noop("needs what we sell"),
    "evaluation_3m": gettext_noop("evaluation within 3 months"),
    "purchase_6m": gettext_noop("purchase within 6 months"),
    "talk_2w": gettext_noop("willing to talk within 2 weeks"),
}


@dataclass(frozen=True)
class Outcome:
    """What the door did: the decision (or the person's choice) and the deadlines."""

    owner: engine.OwnerRef
    rule: str
    reason: dict
    deadlines: deadlines.Deadlines


# --- deciding ---------------------------------------------------------------------


def scope_text(scope) -> str:
    return ":".join(str(part) for part in scope)


def owner_text(key) -> str:
    return f"{key[0]}:{key[1]}"


def _parse_owner(text: str) -> tuple:
    kind, _sep, pk = text.partition(":")
    return (kind, pk if kind == "queue" else int(pk))


def candidate_scopes(context: engine.RoutingContext, lead: Lead) -> list[tuple]:
    """Every weighted-share scope the engine could use for this lead."""
    scopes = [engine.SCOPE_SENIOR, engine.SCOPE_INTERNAL_SALES]
    for territory in context.territories_covering(lead.country.code, lead.postcode_number):
        scopes.append(("territory", territory.id))
        if lead.sector:
            scopes.append(("sector", territory.id, lead.sector))
    return scopes


def load_counts(scopes: list[tuple]) -> dict:
    by_text = {scope_text(scope): scope for scope in scopes}
    rows = ShareCounter.objects.filter(scope__in=list(by_text)).exclude(owner=LOCK_OWNER)
    return {(by_text[row.scope], _parse_owner(row.owner)): row.count for row in rows}


def excluded_owners(lead: Lead) -> frozenset:
    """Owners that rejected or lost (recycled) this lead: never routed to them again."""
    if lead.pk is None:
        return frozenset()
    stints = Assignment.objects.filter(
        lead=lead,
        end_reason__in=[Assignment.EndReason.REJECTED, Assignment.EndReason.RECYCLED],
    ).values_list("owner_dealer_id", "owner_user_id")
    keys = set()
    for dealer_id, user_id in stints:
        keys.add(("dealer", dealer_id) if dealer_id else ("user", user_id))
    return frozenset(keys)


def qualification_gaps(answers: dict) -> list[str]:
    """The lead-definition criteria answered "no" (seed 004)."""
    return [key for key in QUALIFICATION_LABELS if answers.get(key) is False]


def lead_facts(lead: Lead, *, excluded: frozenset) -> engine.LeadFacts:
    gaps = qualification_gaps(lead.qualification or {})
    return engine.LeadFacts(
        company_name=lead.company_name,
        country=lead.country.code,
        postcode=lead.postcode or None,
        postcode_number=lead.postcode_number,
        sector=lead.sector or None,
        estimated_value=lead.estimated_value,
        temperature=lead.temperature,
        sales_ready=lead.sales_ready,
        missing_qualification=tuple(QUALIFICATION_LABELS[g] for g in gaps),
        excluded_owners=excluded,
    )


def decide(lead: Lead, *, now: datetime, excluded: frozenset | None = None) -> engine.Decision:
    """Run the engine for ``lead`` (no writes; also used by the what-if preview)."""
    context = facts.routing_context(now=now)
    keys = CompanyKeys.of_lead(lead)
    match = match_company(keys, now=now, exclude_lead=lead.pk)
    if lead.account_id is None and match.account is not None:
        lead.account = match.account
    account = lead.account if lead.account_id else None
    if account is not None and account is not match.account:
        match.account = account
    excluded = excluded_owners(lead) if excluded is None else excluded
    inputs = {
        "context": context,
        "account": facts.account_facts(match.account),
        "claims": facts.claim_facts(match.claims),
        "open_leads": facts.open_lead_facts(match.open_leads),
        "now": now,
        "loads": facts.dealer_loads(now=now) if _has_capacities(context) else None,
    }
    the_facts = lead_facts(lead, excluded=excluded)
    scopes = candidate_scopes(context, lead)
    decision = engine.route(the_facts, counts=load_counts(scopes), **inputs)
    if decision.share_scope is None:
        return decision
    # Lock the chosen scope and decide again on counts nobody else can change now.
    for _attempt in range(3):
        scope = decision.share_scope
        _lock_scope(scope)
        decision = engine.route(the_facts, counts=load_counts(scopes), **inputs)
        if decision.share_scope in (None, scope):
            return decision
    return decision


def _has_capacities(context: engine.RoutingContext) -> bool:
    return any(d.weekly_capacity is not None for d in context.dealers.values())


def _lock_scope(scope) -> None:
    text = scope_text(scope)
    ShareCounter.objects.get_or_create(scope=text, owner=LOCK_OWNER)
    ShareCounter.objects.select_for_update().filter(scope=text, owner=LOCK_OWNER).first()


def _count(decision: engine.Decision) -> None:
    key = decision.share_key
    if key is None:
        return
    scope, owner = scope_text(key[0]), owner_text(key[1])
    updated = ShareCounter.objects.filter(scope=scope, owner=owner).update(count=F("count") + 1)
    if not updated:
        ShareCounter.objects.create(scope=scope, owner=owner, count=1)


# --- the door ---------------------------------------------------------------------


def lead_route(
    *,
    lead: Lead,
    actor: User | None = None,
    now: datetime | None = None,
    end_reason: str = Assignment.EndReason.REASSIGNED,
    event_kind: str = LeadEvent.Kind.ROUTED,
    note: dict | None = None,
    created: dict | None = None,
) -> Outcome:
    """Let the engine choose the owner of ``lead`` and hand it over.

    ``created`` (for a new lead): the reason and data of its "created" event.

    For a new lead (not saved yet) this creates it. For an existing one it ends the
    current stint with ``end_reason`` (rejected, recycled, reassigned); owners that
    rejected or lost the lead are excluded."""
    now = now or timezone.now()
    with transaction.atomic():
        excluded = None
        if lead.pk is not None:
            lead = Lead.objects.select_for_update().get(pk=lead.pk)
            excluded = excluded_owners(lead)
            if end_reason in (Assignment.EndReason.REJECTED, Assignment.EndReason.RECYCLED):
                # The owner giving it up now is excluded too (its stint ends below).
                if lead.owner_dealer_id:
                    excluded |= {("dealer", lead.owner_dealer_id)}
                elif lead.owner_user_id:
                    excluded |= {("user", lead.owner_user_id)}
        decision = decide(lead, now=now, excluded=excluded)
        outcome = _hand_over(
            lead,
            owner=decision.owner,
            rule=decision.rule,
            reason=_message_json(decision.reason),
            candidates=[_candidate_json(c) for c in decision.candidates],
            actor=actor,
            now=now,
            end_reason=end_reason,
            event_kind=event_kind,
            note=note,
            created=created,
        )
        _count(decision)
    return outcome


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
    ref = _ref_for(owner)
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        return _hand_over(
            lead,
            owner=ref,
            rule="manual",
            reason=message(
                gettext_noop("Assigned by %(actor)s: %(reason)s"), actor=actor.name, reason=reason
            ),
            candidates=[],
            actor=actor,
            now=now,
            end_reason=Assignment.EndReason.REASSIGNED,
            event_kind=LeadEvent.Kind.REASSIGNED,
            note={"text": reason},
        )


def _ref_for(owner) -> engine.OwnerRef:
    if isinstance(owner, Dealer):
        return engine.OwnerRef("dealer", owner.pk, owner.name)
    if isinstance(owner, Queue):
        return engine.OwnerRef("queue", owner.pk, owner.name)
    return engine.OwnerRef("user", owner.pk, owner.name)


def _message_json(msg: engine.Message) -> dict:
    return {"msgid": msg.msgid, "params": dict(msg.params)}


def _candidate_json(note: engine.CandidateNote) -> dict:
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


def _permissions() -> tuple[int, int]:
    perms = dict(
        Permission.objects.filter(
            content_type__app_label="leads", codename__in=["view_lead", "act_on_lead"]
        ).values_list("codename", "pk")
    )
    return perms["view_lead"], perms["act_on_lead"]


def _hand_over(
    lead: Lead,
    *,
    owner: engine.OwnerRef,
    rule: str,
    reason: dict,
    candidates: list,
    actor: User | None,
    now: datetime,
    end_reason: str,
    event_kind: str,
    note: dict | None,
    created: dict | None = None,
) -> Outcome:
    """Write everything that changes with the owner. Runs inside the caller's transaction."""
    is_new = lead.pk is None
    previous = None if is_new else owner_snapshot(lead)
    previous_dealer_id = None if is_new else lead.owner_dealer_id
    if not is_new:
        Assignment.objects.filter(lead=lead, ended_at__isnull=True).update(
            ended_at=now, end_reason=end_reason
        )
        LeadGroupObjectPermission.objects.filter(content_object=lead).delete()
        LeadUserObjectPermission.objects.filter(content_object=lead).delete()

    terms = deadlines.SlaTerms.from_policy(Policy.current())
    clocks = deadlines.stint_deadlines(
        owner_kind=owner.kind,
        temperature=lead.temperature,
        country=lead.country,
        start=now,
        terms=terms,
    )
    lead.owner_dealer_id = owner.id if owner.kind == "dealer" else None
    lead.owner_user_id = owner.id if owner.kind == "user" else None
    lead.owner_queue_id = owner.id if owner.kind == "queue" else None
    lead.dealer_assignee = None
    lead.routing_rule = rule
    lead.routing_reason = reason
    lead.routing_candidates = candidates
    lead.assigned_at = now
    for field, value in clocks.as_fields().items():
        setattr(lead, field, value)
    if owner.kind == "queue" and owner.id == Queue.NURTURE:
        lead.status = Lead.Status.NURTURE
    elif (
        is_new
        or lead.status in Lead.OPEN_STATUSES
        or lead.status
        in (
            Lead.Status.REJECTED,
            Lead.Status.RECYCLED,
            Lead.Status.NURTURE,
        )
    ):
        lead.status = Lead.Status.NEW
    lead.status_changed_at = now
    lead.save()
    if is_new:
        LeadEvent.objects.create(
            lead=lead,
            kind=LeadEvent.Kind.CREATED,
            actor=actor,
            at=now,
            reason=(created or {}).get("reason", {}),
            data=(created or {}).get("data", {}),
        )

    stint_end = (
        {"ended_at": now, "end_reason": Assignment.EndReason.NURTURE}
        if lead.status == Lead.Status.NURTURE
        else {}
    )
    Assignment.objects.create(
        lead=lead,
        owner_dealer_id=lead.owner_dealer_id,
        owner_user_id=lead.owner_user_id,
        owner_queue_id=lead.owner_queue_id,
        rule=rule,
        started_at=now,
        sla_due_at=clocks.first_update_due_at,
        estimated_value=lead.estimated_value,
        **stint_end,
    )
    view, act = _permissions()
    if owner.kind == "dealer":
        group_id = Dealer.objects.values_list("group_id", flat=True).get(pk=owner.id)
        LeadGroupObjectPermission.objects.bulk_create(
            [
                LeadGroupObjectPermission(group_id=group_id, permission_id=p, content_object=lead)
                for p in (view, act)
            ]
        )
    elif owner.kind == "user":
        LeadUserObjectPermission.objects.bulk_create(
            [
                LeadUserObjectPermission(user_id=owner.id, permission_id=p, content_object=lead)
                for p in (view, act)
            ]
        )
    to_owner = {"kind": owner.kind, "id": owner.id, "name": owner.name}
    LeadEvent.objects.create(
        lead=lead,
        kind=event_kind,
        actor=actor,
        at=now,
        from_owner=previous,
        to_owner=to_owner,
        reason=reason,
        data={"rule": rule, **({"note": note} if note else {})},
    )
    _notify_new_owner(lead, owner, reason, clocks)
    if (
        previous_dealer_id
        and previous_dealer_id != lead.owner_dealer_id
        and end_reason
        in (
            Assignment.EndReason.RECYCLED,
            Assignment.EndReason.REASSIGNED,
        )
    ):
        _notify_previous_dealer(lead, previous_dealer_id, end_reason, note)
    return Outcome(owner=owner, rule=rule, reason=reason, deadlines=clocks)


def _notify_new_owner(lead: Lead, owner, reason: dict, clocks: deadlines.Deadlines) -> None:
    if owner.kind == "queue" and owner.id == Queue.NURTURE:
        return  # marketing works the nurture queue in bulk, not lead by lead
    if owner.kind == "queue":
        queue = Queue.objects.select_related("responsible").get(pk=owner.id)
        recipients = [queue.responsible] if queue.responsible else []
    elif owner.kind == "dealer":
        recipients = list(User.objects.filter(dealermembership__dealer_id=owner.id, is_active=True))
    else:
        recipients = list(User.objects.filter(pk=owner.id, is_active=True))
    if not recipients:
        return
    if clocks.first_update_due_at is not None:
        due = timezone.localtime(clocks.first_update_due_at).strftime("%Y-%m-%d %H:%M")
        action = message(
            gettext_noop("Accept or reject it and give a first update by %(due)s."), due=due
        )
    else:
        action = message(gettext_noop("Assign it to an owner."))
    notify(
        recipients=recipients,
        kind=Notification.Kind.ASSIGNED,
        subject=message(
            gettext_noop("New lead: %(company)s (%(city)s)"),
            company=lead.company_name,
            city=lead.city or lead.postcode or lead.country.code,
        ),
        body=parts(reason, action),
        url=lead.get_absolute_url(),
        lead=lead,
    )


def _notify_previous_dealer(lead: Lead, dealer_id: int, end_reason: str, note) -> None:
    recipients = list(User.objects.filter(dealermembership__dealer_id=dealer_id, is_active=True))
    if end_reason == Assignment.EndReason.RECYCLED:
        body = message(
            gettext_noop(
                "There was no update within the agreed time, so the lead went to another owner."
            )
        )
    else:
        body = note or message(gettext_noop("The channel manager reassigned the lead."))
    notify(
        recipients=recipients,
        kind=Notification.Kind.RECYCLED,
        subject=message(gettext_noop("Lead taken back: %(company)s"), company=lead.company_name),
        body=body,
        url="",
        lead=None,
    )
