"""Rows in and out of the database for the sweep: the due rows it claims (named
functions returning dataclasses, over ``portal.db.claim_due``, one conditional
``UPDATE … RETURNING`` that skips rows another transaction holds), the people to notify,
and small helpers. (The rows it writes go in with ``portal.db.insert_rows`` and
``portal.users.services.notify_in_bulk``; a dealer's people are
``dealers.services.team.dealer_people``.)"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from dealers.models import Claim
from leads.models import Lead
from portal.db import claim_due
from portal.users.models import Role, StaffProfile, User


@dataclass(frozen=True)
class DueLead:
    """A lead whose clock ran out, as the sweep reads it."""

    id: int
    status: str
    owner_dealer_id: int | None
    owner_user_id: int | None
    company_name: str
    city: str
    postcode: str
    country: str
    temperature: str
    assigned_at: datetime | None
    first_update_due_at: datetime | None
    escalation_due_at: datetime | None
    recycle_due_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status in Lead.OPEN_STATUSES


@dataclass(frozen=True)
class DueClaimReminder:
    """An approved claim whose expiry reminder is due."""

    id: int
    dealer_id: int
    company_name: str
    status: str
    expires_at: datetime
    renewals: int | None


def due_open_leads(clock: str, *, as_of: datetime, limit: int) -> list[DueLead]:
    """Claim a batch of leads whose ``clock`` (``reminder_due_at``, ``escalation_due_at``)
    ran out, clearing it, and keep the open ones (a closed lead's clock has nothing left
    to do)."""
    rows = claim_due(Lead, clock, clear=[clock], returning=DueLead, as_of=as_of, limit=limit)
    return [row for row in rows if row.is_open]


def due_recycle(*, as_of: datetime) -> DueLead | None:
    """Claim one lead whose recycle clock ran out (clearing it and its reminder)."""
    rows = claim_due(
        Lead,
        "recycle_due_at",
        clear=["recycle_due_at", "reminder_due_at"],
        returning=DueLead,
        as_of=as_of,
        limit=1,
    )
    return rows[0] if rows else None


def due_claim_reminders(*, as_of: datetime, limit: int) -> list[DueClaimReminder]:
    """Claim a batch of claims whose reminder is due (clearing it) and keep those still
    approved and not yet expired."""
    rows = claim_due(
        Claim,
        "reminder_due_at",
        clear=["reminder_due_at"],
        returning=DueClaimReminder,
        as_of=as_of,
        limit=limit,
    )
    return [r for r in rows if r.status == Claim.Status.APPROVED and r.expires_at > as_of]


def iso(value) -> str | None:
    return value.isoformat() if value else None


def group_by_value(mapping: dict) -> dict:
    grouped = defaultdict(list)
    for key, value in mapping.items():
        grouped[value].append(key)
    return grouped


# --- recipients -------------------------------------------------------------------


def users_by_id(user_ids: set) -> dict:
    return {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}


def user_snapshot(user: User) -> dict:
    return {"kind": "user", "id": user.pk, "name": user.name}


def managers_of(user_ids: set) -> dict:
    """owner id → [their manager]; "sales_managers" → every active sales manager."""
    found: dict = {"sales_managers": []}
    if not user_ids:
        return found
    for profile in StaffProfile.objects.filter(
        user_id__in=user_ids, manager__isnull=False, manager__is_active=True
    ).select_related("manager"):
        found[profile.user_id] = [profile.manager]
    found["sales_managers"] = list(
        User.objects.filter(staffprofile__role=Role.SALES_MANAGER, is_active=True)
    )
    return found
