"""Reassigning open leads by hand (channel and sales managers), one or many at once.

Every lead goes through the one door: ``lead_assign`` when the manager names the new
owner, ``lead_route`` when the manager asks the routing rules to decide again (after a
territory fix, for instance; the current dealer or rep is passed over, as the manager
is taking the lead away from them). Each lead gets a "reassigned" event with the manager's
reason. A batch is one transaction: either every lead moves or none does.
"""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dealers.models import Dealer
from leads.models import Assignment, Lead, LeadEvent, Queue
from leads.services.routing import lead_assign, lead_route
from portal.messages import text
from portal.users.models import User

MAX_BATCH = 500


def check_owner(owner) -> None:
    """Refuse owners that cannot take leads: inactive dealers, users who are not active
    internal staff."""
    if isinstance(owner, Dealer) and owner.status != Dealer.Status.ACTIVE:
        raise ValidationError(
            {
                "owner": _("%(dealer)s is %(status)s and cannot take leads.")
                % {"dealer": owner.name, "status": owner.get_status_display()}
            }
        )
    if isinstance(owner, User) and (not owner.is_active or owner.staff_profile is None):
        raise ValidationError({"owner": _("Leads can go to active internal staff only.")})


def leads_reassign(
    *,
    lead_ids: Iterable[int],
    owner: Dealer | User | Queue | None,
    actor: User,
    reason: str,
    now: datetime | None = None,
) -> int:
    """Give the open leads ``lead_ids`` to ``owner`` (None: let the routing rules decide
    again) with ``reason``; returns how many leads changed hands."""
    now = now or timezone.now()
    ids = sorted(set(lead_ids))
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not ids:
        errors["leads"] = _("Select at least one lead.")
    elif len(ids) > MAX_BATCH:
        errors["leads"] = _("Select at most %(max)d leads at once.") % {"max": MAX_BATCH}
    if not reason:
        errors["reason"] = _("Give a reason: the previous and the new owner see it.")
    if errors:
        raise ValidationError(errors)
    if owner is not None:
        check_owner(owner)
    moved = 0
    with transaction.atomic():
        leads = list(Lead.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        closed = [lead for lead in leads if lead.status not in Lead.OPEN_STATUSES]
        if len(leads) != len(ids) or closed:
            raise ValidationError(
                {
                    "leads": ngettext(
                        "%(count)d selected lead is closed or gone; only open leads can move.",
                        "%(count)d selected leads are closed or gone; only open leads can move.",
                        len(ids) - len(leads) + len(closed),
                    )
                    % {"count": len(ids) - len(leads) + len(closed)}
                }
            )
        for lead in leads:
            if owner is None:
                lead_route(
                    lead=lead,
                    actor=actor,
                    now=now,
                    end_reason=Assignment.EndReason.REASSIGNED,
                    event_kind=LeadEvent.Kind.REASSIGNED,
                    note=text(reason),
                    away_from_current=True,
                )
            else:
                if _owned_by(lead, owner):
                    continue
                lead_assign(lead=lead, owner=owner, actor=actor, reason=reason, now=now)
            moved += 1
    return moved


def _owned_by(lead: Lead, owner) -> bool:
    if isinstance(owner, Dealer):
        return lead.owner_dealer_id == owner.pk
    if isinstance(owner, Queue):
        return lead.owner_queue_id == owner.pk
    return lead.owner_user_id == owner.pk
