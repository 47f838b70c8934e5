"""Rows in and out of the database for the sweep: claiming due rows with one conditional
``UPDATE … RETURNING``, and the people to notify. (The rows it writes go in with
``portal.db.insert_rows`` and ``portal.users.services.notify_in_bulk``.)"""

from collections import defaultdict
from datetime import UTC, datetime

from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime

from dealers.models import Dealer, DealerMembership
from portal.users.models import Role, StaffProfile, User


def claim_due(
    model,
    due: str,
    *,
    set_sql: str,
    returning: list[str],
    as_of: datetime,
    limit: int,
    condition: str = "",
) -> list[dict]:
    """Clear the due column of up to ``limit`` due rows that no other transaction holds
    and return them: one statement, so two sweeps never get the same row."""
    table = connection.ops.quote_name(model._meta.db_table)
    where = f"{due} <= %s" + (f" AND {condition}" if condition else "")
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    sql = (
        f"UPDATE {table} SET {set_sql} WHERE id IN ("
        f"SELECT id FROM {table} WHERE {where} ORDER BY {due} LIMIT %s{skip_locked}"
        f") RETURNING {', '.join(returning)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(as_of), limit])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:
        for name in names:
            if name.endswith("_at"):
                row[name] = aware(row[name])
    return rows


def aware(value):
    """A datetime from a raw row (SQLite returns text, PostgreSQL an aware value)."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def iso(value) -> str | None:
    return value.isoformat() if value else None


def group_by_value(mapping: dict) -> dict:
    grouped = defaultdict(list)
    for key, value in mapping.items():
        grouped[value].append(key)
    return grouped


def claim_url(claim_id: int) -> str:
    try:
        return reverse("dealers:claim", args=[claim_id])
    except NoReverseMatch:  # the claim pages are not installed
        return ""


# --- recipients -------------------------------------------------------------------


def dealer_people(dealer_ids: set) -> dict:
    """dealer id → {"snapshot": owner snapshot, "users": its active people}."""
    if not dealer_ids:
        return {}
    found = {
        pk: {"snapshot": {"kind": "dealer", "id": pk, "name": name}, "users": []}
        for pk, name in Dealer.objects.filter(pk__in=dealer_ids).values_list("pk", "name")
    }
    memberships = DealerMembership.objects.filter(
        dealer_id__in=dealer_ids, user__is_active=True
    ).select_related("user")
    for membership in memberships:
        found[membership.dealer_id]["users"].append(membership.user)
    return found


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
