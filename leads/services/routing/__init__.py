"""The one door through which a lead gets, changes or loses its owner.

``decide`` lets the engine choose (``lead_route``, ``leads_route_new``) or takes a
person's choice (``lead_assign``) and records the decision; ``handover`` writes
everything that changes with the owner in the same transaction (the owners, the
ownership stints, the events, the object permissions through
``leads.services.access_grants``, the SLA deadlines, the share counters); ``notify``
tells the new owners. Nothing else in the code changes an owner.
"""

from leads.services.routing.decide import (
    LOCK_OWNER,
    QUALIFICATION_LABELS,
    lead_assign,
    lead_facts,
    lead_route,
    leads_route_new,
    qualification_gaps,
)
from leads.services.routing.handover import Outcome, owner_snapshot

__all__ = [
    "LOCK_OWNER",
    "QUALIFICATION_LABELS",
    "Outcome",
    "lead_assign",
    "lead_facts",
    "lead_route",
    "leads_route_new",
    "owner_snapshot",
    "qualification_gaps",
]
