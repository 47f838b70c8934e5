"""Every write of a lead's object permissions, and of who handles it within a dealer.

The rows django-guardian reads (``LeadGroupObjectPermission``,
``LeadUserObjectPermission``) and ``Lead.dealer_assignee`` are written here and nowhere
else (``tests/leads/test_access_grants.py`` checks that); the callers are the
hand-over (``leads.services.routing``), the dealer admin's hand-over to a colleague
(``leads.services.pipeline``), a colleague leaving (``dealers.services.team``) and the
demo seeder. Each function writes inside the caller's transaction.

* The owner of a lead, a dealer's group or an internal user, may view it and act on it
  (``view_lead``, ``act_on_lead``). A lead in a queue has no object permissions: staff
  reach it through their role.
* Within a dealer the admin may hand a lead to one colleague (``dealer_assignee``): the
  colleague may act on it, the dealer's group keeps only the right to see it. Back to
  the whole team, the group may act on it again.
* When the owner changes, the previous owner's rights and the assignee go.
"""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import Permission

from dealers.models import Dealer
from leads import world
from leads.models import Lead, LeadGroupObjectPermission, LeadUserObjectPermission
from portal.db import insert_rows
from portal.users.models import User


def permission_ids() -> tuple[int, int]:
    """The ids of ``view_lead`` and ``act_on_lead`` (looked up once per process)."""

    def load():
        perms = dict(
            Permission.objects.filter(
                content_type__app_label="leads", codename__in=["view_lead", "act_on_lead"]
            ).values_list("codename", "pk")
        )
        return perms["view_lead"], perms["act_on_lead"]

    return world.cached("lead-permissions", load)


def dealer_groups() -> dict[int, int]:
    """Each dealer's group id, by dealer id (cached until the dealers change)."""
    return world.cached("dealer-groups", lambda: dict(Dealer.objects.values_list("pk", "group_id")))


def revoke_owners(leads: list[Lead]) -> None:
    """The leads are changing owner: nobody within a dealer handles them any more
    (``dealer_assignee`` cleared on the instances, saved by the caller with the new
    owner) and every object permission on the saved ones goes."""
    for lead in leads:
        lead.dealer_assignee = None
    pks = [lead.pk for lead in leads if lead.pk is not None]
    if pks:
        LeadGroupObjectPermission.objects.filter(content_object_id__in=pks).delete()
        LeadUserObjectPermission.objects.filter(content_object_id__in=pks).delete()


def grant_owners(grants: Iterable[tuple[int, str, int | str]]) -> None:
    """Give each owner the right to view and act on its lead, set-wise: ``grants`` are
    ``(lead id, owner kind, owner id)``; a dealer's right goes to its group, a queue
    gets none."""
    view, act = permission_ids()
    groups = dealer_groups()
    group_rows, user_rows = [], []
    for lead_id, kind, owner_id in grants:
        if kind == "dealer":
            group = groups[owner_id]
            group_rows += [
                {"group_id": group, "permission_id": p, "content_object_id": lead_id}
                for p in (view, act)
            ]
        elif kind == "user":
            user_rows += [
                {"user_id": owner_id, "permission_id": p, "content_object_id": lead_id}
                for p in (view, act)
            ]
    insert_rows(LeadGroupObjectPermission, group_rows)
    insert_rows(LeadUserObjectPermission, user_rows)


def grant_assignee(lead: Lead, colleague: User | None) -> None:
    """The dealer admin hands ``lead`` (owned by a dealer) to ``colleague``, or back to
    the whole team (None): the right to act moves, the group keeps the right to see it,
    and ``dealer_assignee`` is saved."""
    _view, act = permission_ids()
    group_id = dealer_groups()[lead.owner_dealer_id]
    LeadUserObjectPermission.objects.filter(content_object=lead, permission_id=act).delete()
    if colleague is None:
        LeadGroupObjectPermission.objects.get_or_create(
            content_object=lead, group_id=group_id, permission_id=act
        )
    else:
        LeadGroupObjectPermission.objects.filter(
            content_object=lead, group_id=group_id, permission_id=act
        ).delete()
        LeadUserObjectPermission.objects.create(
            content_object=lead, user=colleague, permission_id=act
        )
    lead.dealer_assignee = colleague
    lead.save(update_fields=["dealer_assignee", "updated_at"])


def revoke_assignee(*, user: User, dealer_id: int, lead_ids: list[int], now: datetime) -> None:
    """``user`` no longer handles these leads of ``dealer_id`` (set-wise): the leads go
    back to the whole team, as when the admin hands them back; the person's own rights
    go and the dealer's group may act on them again."""
    Lead.objects.filter(pk__in=lead_ids).update(dealer_assignee=None, updated_at=now)
    LeadUserObjectPermission.objects.filter(user=user, content_object_id__in=lead_ids).delete()
    _view, act = permission_ids()
    group_id = dealer_groups()[dealer_id]
    LeadGroupObjectPermission.objects.bulk_create(
        [
            LeadGroupObjectPermission(group_id=group_id, permission_id=act, content_object_id=pk)
            for pk in lead_ids
        ],
        ignore_conflicts=True,
    )
