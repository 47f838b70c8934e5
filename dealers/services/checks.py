"""The claim conflict check and the validation of a claim's company fields.

``claim_check`` is read-only: the claim form runs it live while the dealer types, and
``claim_submit`` runs it again in its transaction. Conflicts are data with ids (the
channel manager's review page shows both sides); a dealer only ever reads
``conflict_messages``: no other dealer's name, id or count.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.models import Claim, Dealer
from leads.matching import matcher
from leads.models import Account

# --- conflicts --------------------------------------------------------------------

CUSTOMER = "customer"
CLAIM = "claim"
OPEN_LEAD = "open_lead"

# What a dealer is told: never another dealer's name, id or how many there are.
_CONFLICT_TEXT = {
    CUSTOMER: gettext_noop(
        "This company is an existing customer of ours: your channel manager will review."
    ),
    "claim:approved": gettext_noop("This company already has an active claim by another dealer."),
    "claim:pending": gettext_noop(
        "Another dealer has also registered this company: your channel manager will review."
    ),
    OPEN_LEAD: gettext_noop("There is an open lead for this company."),
}


def _conflict_key(conflict: Mapping) -> str:
    if conflict.get("kind") == CLAIM:
        return f"claim:{conflict.get('status', 'approved')}"
    return str(conflict.get("kind", ""))


def conflict_messages(conflicts) -> list[str]:
    """The conflicts as a dealer may read them, in the active language, one per kind."""
    seen: list[str] = []
    for conflict in conflicts or ():
        key = _conflict_key(conflict)
        if key in _CONFLICT_TEXT and key not in seen:
            seen.append(key)
    order = list(_CONFLICT_TEXT)
    return [_(_CONFLICT_TEXT[key]) for key in sorted(seen, key=order.index)]


def conflict_kinds(conflicts) -> list[str]:
    """The distinct kinds of conflicts (customer, claim, open_lead): safe for dealers."""
    kinds: list[str] = []
    for conflict in conflicts or ():
        kind = conflict.get("kind")
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds


@dataclass
class ClaimCheck:
    """What ``claim_check`` found: the matched account (or None), the conflicts as data
    (with ids, for the channel manager) and the dealer's own claim on the company."""

    account: Account | None = None
    matched_by: str = ""
    conflicts: list[dict] = field(default_factory=list)
    own_claim: Claim | None = None

    @property
    def clean(self) -> bool:
        return not self.conflicts

    @property
    def messages(self) -> list[str]:
        return conflict_messages(self.conflicts)


# --- the company's keys ----------------------------------------------------------


def company_keys(data: Mapping[str, Any]) -> matcher.CompanyKeys:
    """The matcher's keys for a claim's company fields (tolerant of half-typed input)."""
    return matcher.CompanyKeys.of(
        name=data.get("company_name") or "",
        country=data.get("country") or "",
        vat=data.get("vat_number") or "",
        website=data.get("website") or "",
        email=data.get("contact_email") or "",
    )


# --- the check --------------------------------------------------------------------


def claim_check(
    *, dealer: Dealer, data: Mapping[str, Any], now: datetime | None = None
) -> ClaimCheck:
    """The conflict check for a company ``dealer`` wants to claim. Read-only: it runs
    live while the dealer types, and again inside ``claim_submit``."""
    now = now or timezone.now()
    match = matcher.match_company(company_keys(data), now=now)
    account = match.account
    check = ClaimCheck(account=account, matched_by=match.matched_by)
    if account is not None:
        if match.is_customer:
            check.conflicts.append({"kind": CUSTOMER, "account_id": account.pk})
        pending = Claim.objects.filter(account=account, status=Claim.Status.PENDING)
        for claim in sorted([*match.claims, *pending], key=lambda c: (c.submitted_at, c.pk)):
            if claim.dealer_id == dealer.pk:
                check.own_claim = check.own_claim or claim
                continue
            check.conflicts.append(
                {
                    "kind": CLAIM,
                    "claim_id": claim.pk,
                    "dealer_id": claim.dealer_id,
                    "status": claim.status,
                    "expires_at": claim.expires_at.isoformat() if claim.expires_at else None,
                }
            )
    for lead in match.open_leads:
        if lead.owner_dealer_id == dealer.pk:
            continue  # the dealer's own lead is no conflict
        check.conflicts.append(
            {
                "kind": OPEN_LEAD,
                "lead_id": lead.pk,
                "owner": {"kind": lead.owner_kind, "id": lead.owner_id, "name": str(lead.owner)},
            }
        )
    return check
