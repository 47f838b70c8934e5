"""Dealer writes: claims (lead registration), the dealer's team and its lifecycle.

- ``checks``: ``claim_check`` (the live, read-only conflict check),
  ``conflict_messages`` (what a dealer may read); a claim's fields are checked by the
  one field cleaner (``leads.services.cleaning.clean_claim_fields``);
- ``claims``: ``claim_submit``, ``claim_approve``, ``claim_reject`` (the channel
  manager's review), ``claim_renew``, ``claim_withdraw``;
- ``claim_expiry``: ``claims_expire`` (the one door by which a claim's period ends,
  from the SLA sweep and from an approval), ``claims_end_for_dealer``;
- ``claim_notices``: who is told about a claim, ``claim_url``;
- ``claim_grants``: ``claim_permissions_grant``, the one writer of a claim's object
  permissions (for ``claim_submit`` and the demo seeder);
- ``team``: ``member_invite``, ``member_deactivate``, ``member_reactivate``;
- ``lifecycle``: the channel manager's dealer management: create, invite the admin,
  pause, terminate (its leads are routed again) or reactivate, weekly capacity.

Import from here: ``from dealers.services import claim_submit``.
"""

from dealers.services.checks import (
    CLAIM,
    CUSTOMER,
    OPEN_LEAD,
    ClaimCheck,
    claim_check,
    company_keys,
    conflict_kinds,
    conflict_messages,
)
from dealers.services.claim_expiry import claims_expire
from dealers.services.claim_notices import claim_url
from dealers.services.claims import (
    active_claims_of,
    claim_approve,
    claim_can_renew,
    claim_reject,
    claim_renew,
    claim_submit,
    claim_withdraw,
)
from dealers.services.team import (
    dealer_people,
    dealer_recipients,
    member_deactivate,
    member_invite,
    member_reactivate,
)

__all__ = [
    "CLAIM",
    "CUSTOMER",
    "OPEN_LEAD",
    "ClaimCheck",
    "active_claims_of",
    "claim_approve",
    "claim_can_renew",
    "claim_check",
    "claim_reject",
    "claim_renew",
    "claim_submit",
    "claim_url",
    "claim_withdraw",
    "claims_expire",
    "company_keys",
    "conflict_kinds",
    "conflict_messages",
    "dealer_people",
    "dealer_recipients",
    "member_deactivate",
    "member_invite",
    "member_reactivate",
]
