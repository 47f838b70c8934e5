"""Accounts, claims and months of lead history, written with bulk inserts.

Every historical lead is routed by the real engine (``leads.routing``) with the
real deadlines (``leads.sla.deadlines``), then its owners' behaviour is simulated:
dealers differ in how fast they follow up and how often they win (seed 002: "Dealer A:
90% picked up within 48 h, conversion 25%; Dealer B: 40%, 8%"), leads nobody touches
are recycled after 5 working days, some are rejected with a reason. The result has
stints, events and object permissions exactly like leads the services create, so
scorecards and charts have real data. Leads are generated in chunks so a million
take minutes and flat memory.

``accounts`` and ``claims`` seed the companies and the dealers' claims, ``people`` the
simulated behaviour and office hours, ``simulation`` one lead's life (written with the
hand-over's row writers of ``leads.services.routing.handover``), ``leads`` the chunks
(permissions through ``leads.services.access_grants``, share counters through
``leads.services.routing.decide``), ``webhooks`` two switched-off endpoints with logs.
"""

from leads.demo.history.accounts import build_accounts
from leads.demo.history.claims import build_claims
from leads.demo.history.leads import build_leads, make_timers_due, since
from leads.demo.history.webhooks import build_webhooks

__all__ = [
    "build_accounts",
    "build_claims",
    "build_leads",
    "build_webhooks",
    "make_timers_due",
    "since",
]
