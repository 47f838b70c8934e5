"""The lead routing engine: who gets a new lead, and why.

Pure Python, like healthchecks' ``hc/lib/cronsim.py``: no Django, no ORM, no
settings, no clock read and no randomness. The Django service (``lead_route``)
loads rows, turns them into the frozen *facts* below, calls :func:`route` and
writes the :class:`Decision` it gets back. The same facts always give the same
decision, so every rule is tested table-driven without a database.

Shape of one call::

    context = RoutingContext.build(dealers=..., reps=..., territories=..., policy=...)
    decision = route(lead, context=context, account=account, claims=claims,
                     open_leads=open_leads, counts=counts, now=now)
    counts[decision.share_key] += 1          # when decision.share_key is not None

The context is built once (it indexes territories by country and postcode) and
reused for many decisions; ``counts`` is the only input the caller feeds back
after each decision.

Precedence
----------
0. ``nurture`` (always first): a lead that is not sales-ready goes to the
   marketing nurture queue.
Then the rules of :attr:`RoutingPolicy.rule_order`, by default:

1. ``installed_base``: the account (or the parent it belongs to) owns installed
   products -> its account manager (or their backup while out of office), else
   the dealer that serves the account.
2. ``claim``: a dealer holds an approved, unexpired claim on the company -> that
   dealer. A claim beats direct sales and the territory dealer.
3. ``open_work``: the company already has an open lead -> the same owner. A
   queue is not an owner to follow.
4. ``deal_size``: estimated value above the enterprise threshold -> the senior
   reps, any region, by equal share.
5. ``sector``: within the territories covering the lead, the owners that
   specialise in the lead's sector (or all owners of a territory reserved for
   that sector), most specific territory first, by weighted share.
6. ``territory``: the most specific covering territory open to the lead's
   sector, its owners by weighted share; a territory without an eligible owner
   hands over to the next less specific one. Without a postcode only
   whole-country territories apply.
7. ``fallback``: round robin within the internal sales team covering the
   country, else the pool queue.

A lead is never ownerless: when no rule decides, the pool queue takes it under
the rule ``fallback`` even if ``fallback`` was left out of the rule order
(leaving it out, or setting ``team_fallback=False``, only skips the team round
robin).

Eligibility (every step)
------------------------
* Dealers: status ``active`` (paused and terminated are skipped), fewer leads in
  the last 7 days than ``weekly_capacity`` (``None`` = no limit), not in the
  lead's ``excluded_owners``; for share-based choices also a weight above 0.
* Reps: ``is_active``, not in ``excluded_owners``. A rep who is out of office at
  ``now`` is replaced by their backup when the backup is eligible (active, not
  excluded, not out of office themselves); one level only, no chains. Whichever rule
  chose the rep, the reason then names both ("… belongs to Lukas Gruber, who is out
  of office, so their backup Anna Huber takes it").

Weighted share
--------------
Among the eligible owners of one *scope* (for example the owners of one
territory) with weights ``w_i`` and lead counts ``c_i`` so far, the lead goes to
the owner with the largest deficit ``w_i / Σw × (Σc + 1) − c_i``; ties go to the
higher weight, then the lower owner key (``("dealer", 3)`` before
``("dealer", 7)``, dealers before users). Feeding each decision back into the
counts makes the split converge to the weights: equal weights take turns, and
2:1 gives two leads to one for every lead to the other. An owner that is out of
office lends its slot (and weight) to its backup; the backup's own count is what
is read, so an owner coming back catches up on the leads it missed.

Only a choice is counted: when just one owner of the scope can take the lead (the
others rejected or lost it, are paused, at capacity, at weight 0, or it is the
scope's only owner) it goes to that owner and ``share_scope`` stays ``None``.
Counting it would make that owner's next leads pay for the others' absence: a
dealer that rejects half its leads would push its partner's count up with the
leads routed again, and the split of the leads left to choose could not make up
for it.

Scopes (the first half of a counts key, see :attr:`Decision.share_scope`):

* ``("territory", territory_id)`` for the territory rule,
* ``("sector", territory_id, sector)`` for the sector rule,
* ``("team", "senior")`` for the deal-size rule,
* ``("team", "internal_sales")`` for the fallback round robin.

A dealer's weight inside a territory is ``TerritoryOwnerFacts.weight ×
DealerFacts.weight`` (its share of that territory times its performance weight);
a rep's is the territory owner weight alone.

Explanations
------------
Every reason and candidate note is a :class:`Message`: a msgid wrapped in
``gettext_noop`` (so ``makemessages`` extracts it) with ``%(name)s`` params.
Params are JSON values: names as strings, counts as numbers, and values each reader
sees in their own format or language as one-key dicts: ``{"amount": "300000"}``,
``{"percent": "24.8"}``, ``{"date": "2025-03-31"}``, ``{"at": "2025-03-31T09:00"}``,
``{"sector": "food"}``, ``{"sectors": ["food", "retail"]}``, ``{"country": "DE"}`` and
``{"term": "Channel pool"}`` (a name of the portal's own vocabulary). A message can be
stored as JSON and shown later in the reader's language (``portal.messages``);
``message.render()`` writes it in plain English (``€300,000``, ``24.8%``).

Modules
-------
``facts`` (the frozen inputs and ``OwnerRef``), ``policy`` (rules by name, their
order, the queues), ``context`` (``RoutingContext``, indexed once), ``messages``
(every msgid and ``Message``), ``candidates`` (eligibility and weighted share),
``rules`` (the rules and :func:`route`), ``decision`` (what comes back). Import the
names below from ``leads.routing``; msgids from ``leads.routing.messages``.
"""

from leads.routing.context import RoutingContext
from leads.routing.decision import CandidateNote, Decision
from leads.routing.facts import (
    DEALER_ACTIVE,
    DEALER_PAUSED,
    DEALER_TERMINATED,
    ROLE_ACCOUNT_MANAGER,
    ROLE_CHANNEL_MANAGER,
    ROLE_INTERNAL_SALES,
    ROLE_SALES_MANAGER,
    ROLE_SENIOR,
    SCOPE_INTERNAL_SALES,
    SCOPE_SENIOR,
    AccountFacts,
    ClaimFacts,
    CountKey,
    DealerFacts,
    InstalledProductFacts,
    LeadFacts,
    OpenLeadFacts,
    OwnerKey,
    OwnerKind,
    OwnerRef,
    RepFacts,
    ShareScope,
    TerritoryFacts,
    TerritoryOwnerFacts,
)
from leads.routing.messages import Message
from leads.routing.policy import (
    DEFAULT_RULE_ORDER,
    NURTURE_QUEUE,
    POOL_QUEUE,
    RoutingPolicy,
    Rule,
)
from leads.routing.rules import route

__all__ = [
    "DEALER_ACTIVE",
    "DEALER_PAUSED",
    "DEALER_TERMINATED",
    "DEFAULT_RULE_ORDER",
    "NURTURE_QUEUE",
    "POOL_QUEUE",
    "ROLE_ACCOUNT_MANAGER",
    "ROLE_CHANNEL_MANAGER",
    "ROLE_INTERNAL_SALES",
    "ROLE_SALES_MANAGER",
    "ROLE_SENIOR",
    "SCOPE_INTERNAL_SALES",
    "SCOPE_SENIOR",
    "AccountFacts",
    "CandidateNote",
    "ClaimFacts",
    "CountKey",
    "DealerFacts",
    "Decision",
    "InstalledProductFacts",
    "LeadFacts",
    "Message",
    "OpenLeadFacts",
    "OwnerKey",
    "OwnerKind",
    "OwnerRef",
    "RepFacts",
    "RoutingContext",
    "RoutingPolicy",
    "Rule",
    "ShareScope",
    "TerritoryFacts",
    "TerritoryOwnerFacts",
    "route",
]
