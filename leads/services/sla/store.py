"""Rows in and out of the database for the sweep: the people to notify and small
helpers. (Due rows are claimed with ``portal.db.claim_due``, one conditional
``UPDATE … RETURNING``; the rows it writes go in with ``portal.db.insert_rows`` and
``portal.users.services.notify_in_bulk``; a dealer's people are
``dealers.services.team.dealer_people``.)"""

from collections import defaultdict

from portal.users.models import Role, StaffProfile, User


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
