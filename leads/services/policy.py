"""The routing policy's writes: the rule order, the enterprise threshold and the team
fallback, validated with ``Policy.clean``, audited, and seen by the next lead (the
routing world is invalidated, as every other change that moves leads does); and the
policy's change history (``policy_audit``), which the routing page shows."""

from decimal import Decimal

from django.contrib.admin.models import CHANGE
from django.db import transaction

from leads.models import Policy
from portal.audit.models import ChangeEvent
from portal.audit.services import audit_log, audit_of
from portal.users.models import User

ROUTING_FIELDS = ("rule_order", "enterprise_threshold", "team_fallback")


def _shown(field: str, value) -> str:
    if field == "rule_order":
        return ", ".join(value) or "—"
    if field == "enterprise_threshold":
        return f"{Decimal(value):.2f}"
    return "yes" if value else "no"


def policy_update(*, actor: User, **changes) -> list[str]:
    """Change the routing policy's ``rule_order``, ``enterprise_threshold`` or
    ``team_fallback``. Raises ``ValidationError`` (by field) and writes nothing when the
    result is not valid. Returns the names of the fields that changed (none: nothing is
    written)."""
    unknown = set(changes) - set(ROUTING_FIELDS)
    if unknown:
        raise TypeError(f"policy_update() cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=Policy.current().pk)
        before = {field: getattr(policy, field) for field in ROUTING_FIELDS}
        if "rule_order" in changes:
            changes["rule_order"] = list(changes["rule_order"])
        if "enterprise_threshold" in changes:
            changes["enterprise_threshold"] = Decimal(changes["enterprise_threshold"])
        for field, value in changes.items():
            setattr(policy, field, value)
        policy.full_clean()
        changed = [f for f in ROUTING_FIELDS if f in changes and before[f] != changes[f]]
        if not changed:
            return []
        policy.save(update_fields=[*changed, "updated_at"])
        audit_log(
            actor,
            policy,
            CHANGE,
            "; ".join(
                f"{field}: {_shown(field, before[field])} → {_shown(field, changes[field])}"
                for field in changed
            ),
        )
    return changed


def policy_audit(policy: Policy, *, limit: int = 20) -> list[ChangeEvent]:
    """The latest audited changes of the policy, made on the routing page or in the
    admin, newest first (one query); kept when their author's account is deleted."""
    return audit_of(policy, limit=limit)
