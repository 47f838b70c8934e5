"""The hand-over: everything that changes with a lead's owner, in one transaction.

``hand_over`` ends the previous stints and writes the owners, the routing decisions,
the new ownership stints, the events, the object permissions (``access_grants``), the
SLA deadlines, the notifications (``notify``) and the webhook deliveries, set-wise, so a batch of 500 costs
about as many queries as one lead. The row writers below (``set_owner``,
``stint_row``, ``hand_over_event``) are shared with the demo seeder, which replays
months of hand-overs.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from leads import routing
from leads.models import Assignment, Lead, LeadEvent, Policy, Queue
from leads.services import access_grants, calendars, webhooks
from leads.services.routing.notify import notify_new_owners
from leads.sla import deadlines
from leads.webhooks.payloads import hand_over_events
from portal.db import insert_many, insert_rows, one_statement
from portal.users.models import User

OWNERS = ("owner_dealer", "owner_user", "owner_queue")


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


def owner_snapshot(lead: Lead) -> dict | None:
    if lead.owner_dealer_id:
        return {"kind": "dealer", "id": lead.owner_dealer_id, "name": lead.owner_dealer.name}
    if lead.owner_user_id:
        return {"kind": "user", "id": lead.owner_user_id, "name": lead.owner_user.name}
    if lead.owner_queue_id:
        return {"kind": "queue", "id": lead.owner_queue_id, "name": lead.owner_queue.name}
    return None


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


def hand_over(items: list[HandOver], *, actor: User | None, now: datetime) -> list[Outcome]:
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
    access_grants.revoke_owners([item.lead for item in items])

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
        set_owner(
            lead, owner, rule=item.rule, reason=item.reason, candidates=item.candidates, at=now
        )
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

    # The rows that hang on the leads go in together: one statement, one round trip.
    with one_statement():
        insert_rows(
            Assignment,
            [
                stint_row(
                    item.lead,
                    rule=item.rule,
                    at=now,
                    sla_due_at=outcome.deadlines.first_update_due_at,
                )
                for item, outcome in zip(items, outcomes, strict=True)
            ],
        )
        access_grants.grant_owners((item.lead.pk, item.owner.kind, item.owner.id) for item in items)
        insert_rows(
            LeadEvent,
            [
                hand_over_event(
                    item.lead,
                    item.owner,
                    rule=item.rule,
                    reason=item.reason,
                    at=now,
                    kind=item.event_kind,
                    actor_id=actor.pk if actor else None,
                    from_owner=previous.get(item.lead.pk, (None, None))[0],
                    created=(item.created or {}) if item.lead.pk in new_pks else None,
                    note=item.note,
                )
                for item in items
            ],
        )
        notify_new_owners(items, outcomes, previous)
        webhooks.emit(hand_over_events(items, previous, created=new_pks), now=now)
    return outcomes


def owner_json(owner: routing.OwnerRef) -> dict:
    """An owner as events store it."""
    return {"kind": owner.kind, "id": owner.id, "name": owner.name}


def set_owner(
    lead: Lead, owner: routing.OwnerRef, *, rule: str, reason: dict, candidates: list, at
) -> None:
    """Write the owner and the routing decision on ``lead`` (not saved)."""
    lead.owner_dealer_id = owner.id if owner.kind == "dealer" else None
    lead.owner_user_id = owner.id if owner.kind == "user" else None
    lead.owner_queue_id = owner.id if owner.kind == "queue" else None
    lead.routing_rule = rule
    lead.routing_reason = reason
    lead.routing_candidates = candidates
    lead.assigned_at = at


def stint_row(lead: Lead, *, rule: str, at, sla_due_at) -> dict:
    """The ownership stint that starts ``at`` for the owner ``set_owner`` wrote on
    ``lead``; a lead sent to marketing's nurture queue leaves sales at once."""
    return {
        "lead_id": lead.pk,
        "owner_dealer_id": lead.owner_dealer_id,
        "owner_user_id": lead.owner_user_id,
        "owner_queue_id": lead.owner_queue_id,
        "rule": rule,
        "started_at": at,
        "sla_due_at": sla_due_at,
        "estimated_value": lead.estimated_value,
        **(
            {"ended_at": at, "end_reason": Assignment.EndReason.NURTURE}
            if lead.owner_queue_id == Queue.NURTURE
            else {}
        ),
    }


def hand_over_event(
    lead: Lead,
    owner: routing.OwnerRef,
    *,
    rule: str,
    reason: dict,
    at,
    kind: str = LeadEvent.Kind.ROUTED,
    actor_id: int | None = None,
    from_owner: dict | None = None,
    created: dict | None = None,
    note: dict | None = None,
) -> dict:
    """The event of one hand-over. A new lead's first event (``created``: where it came
    from) says who got it; later hand-overs record the previous owner too."""
    return {
        "lead_id": lead.pk,
        "kind": LeadEvent.Kind.CREATED if created is not None else kind,
        "actor_id": actor_id,
        "at": at,
        "from_owner": from_owner,
        "to_owner": owner_json(owner),
        "reason": reason,
        "data": {"rule": rule, **(created or {}), **({"note": note} if note else {})},
    }
