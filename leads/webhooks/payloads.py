"""What each webhook event says, per receiver: the object as the API shows it to that
receiver (``DealerLeadSerializer`` to a dealer, ``StaffLeadSerializer`` to the
manufacturer, ``ClaimSerializer`` for claims), and what changed.

A dealer hears of its own leads and claims only. A dealer that loses a lead (taken back
after its deadline, moved by a manager, or given back) hears that it is no longer its
own, with the lead's id and company and nothing of its new owner.
"""

from django.conf import settings
from django.utils import timezone

from leads import access
from leads.models import Assignment, Lead, LeadEvent, Policy, WebhookEvent
from leads.services.webhooks import STAFF, Event

E = WebhookEvent


def lead_data(lead: Lead, audience: str, *, owner: dict | None = None, **change) -> dict:
    """``{"lead": …, "change": …}`` for one receiver: the dealer that owns ``lead``
    (its contact left out while the policy hides it) or the manufacturer (``owner``,
    when the caller knows it, saves reading it per lead)."""
    # The API's serializers, imported when an event is written: they import the services
    # that write events.
    from leads.api.serializers import DealerLeadSerializer, StaffLeadSerializer

    context = {"site_url": settings.SITE_URL, **({"owner": owner} if owner else {})}
    if audience == STAFF:
        return {"lead": StaffLeadSerializer(lead, context=context).data, "change": change}
    hidden = Policy.current().contact_after_accept and access.contact_hidden_from_dealer(
        lead.owner_dealer_id, lead
    )
    context["hide_contact"] = lambda _lead: hidden
    return {"lead": DealerLeadSerializer(lead, context=context).data, "change": change}


def lost_lead_data(lead: Lead, **change) -> dict:
    """What a dealer that lost ``lead`` hears: which lead, and that it is not its own."""
    return {
        "lead": {"id": lead.pk, "company_name": lead.company_name, "yours": False},
        "change": change,
    }


def hand_over_events(items, previous: dict, *, created: set) -> list[Event]:
    """The events of a batch of hand-overs (``leads.services.routing.handover``): to the
    manufacturer one per lead (assigned, recycled or reassigned); to the new dealer
    ``lead.assigned``; to a dealer that lost it, the same kind without its data."""
    events = []
    for item in items:
        lead, owner = item.lead, item.owner
        subject = f"lead:{lead.pk}"
        before, old_dealer = previous.get(lead.pk, (None, None))
        new_dealer = owner.id if owner.kind == "dealer" else None
        if lead.pk in created or before is None:
            kind = E.LEAD_ASSIGNED
        elif item.event_kind == LeadEvent.Kind.RECYCLED:
            kind = E.LEAD_RECYCLED
        else:
            kind = E.LEAD_REASSIGNED
        to_owner = {"kind": owner.kind, "id": owner.id, "name": owner.name}

        def body(audience, lead=lead, before=before, to_owner=to_owner, rule=item.rule):
            if audience == STAFF:
                return lead_data(
                    lead, audience, owner=to_owner, from_owner=before, to_owner=to_owner, rule=rule
                )
            return lead_data(lead, audience)

        if kind == E.LEAD_ASSIGNED or new_dealer == old_dealer:
            events.append(Event(kind, subject, body, dealer_id=new_dealer))
        else:
            events.append(Event(kind, subject, body))
            if new_dealer:
                events.append(
                    Event(E.LEAD_ASSIGNED, subject, body, dealer_id=new_dealer, staff=False)
                )
        gave_it_back = item.end_reason == Assignment.EndReason.REJECTED  # told by the reject
        if old_dealer and old_dealer != new_dealer and not gave_it_back:
            events.append(
                Event(
                    kind,
                    subject,
                    lambda _audience, lead=lead, kind=kind: lost_lead_data(lead),
                    dealer_id=old_dealer,
                    staff=False,
                )
            )
    return events


def status_event(lead: Lead, *, before: str, after: str, **extra) -> Event:
    """``lead.status_changed`` to the owning dealer and the manufacturer."""
    return Event(
        E.LEAD_STATUS_CHANGED,
        f"lead:{lead.pk}",
        lambda audience: lead_data(lead, audience, **{"from": before, "to": after, **extra}),
        dealer_id=lead.owner_dealer_id,
    )


def rejected_event(lead: Lead, *, before: str, reason: str, note: str) -> Event:
    """The owner gave the lead back: ``lead.status_changed`` to ``rejected``; the
    rejecting dealer hears it without the lead's data (it is no longer its own)."""
    change = {"from": before, "to": "rejected", "reason": reason, "note": note}

    def body(audience):
        if audience == STAFF:
            return lead_data(lead, audience, **change)
        return lost_lead_data(lead, **change)

    return Event(E.LEAD_STATUS_CHANGED, f"lead:{lead.pk}", body, dealer_id=lead.owner_dealer_id)


def claim_data(claim, audience: str, **change) -> dict:
    from dealers.api import ClaimSerializer  # (as in ``lead_data``)

    context = {"policy": Policy.current(), "now": timezone.now()}
    data = dict(ClaimSerializer(claim, context=context).data)
    if audience == STAFF:
        data["dealer"] = {"id": claim.dealer_id, "name": claim.dealer.name}
    return {"claim": data, "change": change}


def claim_event(kind: str, claim, **change) -> Event:
    """``claim.decided``, ``claim.expiring`` or ``claim.expired``, to the claim's dealer
    and the manufacturer."""
    return Event(
        kind,
        f"claim:{claim.pk}",
        lambda audience: claim_data(claim, audience, **change),
        dealer_id=claim.dealer_id,
    )


def claim_events(kind: str, claim_ids, model) -> list[Event]:
    """``claim_event`` for claims known by id (the sweeps), read only when someone
    subscribed."""
    claims = {}

    def claim_of(pk):
        if not claims:
            claims.update(model.objects.select_related("dealer").in_bulk(list(claim_ids)))
        return claims[pk]

    return [
        Event(
            kind,
            f"claim:{pk}",
            lambda audience, pk=pk: claim_data(claim_of(pk), audience),
            dealer_id=dealer_id,
        )
        for pk, dealer_id in claim_ids.items()
    ]
