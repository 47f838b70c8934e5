"""The one door for reaching a lead: an outsider gets 404 (exactly like a lead that
does not exist), a member without the permission gets 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from leads import selectors
from leads.models import Lead

VIEW = "leads.view_lead"
ACT = "leads.act_on_lead"


def get_lead_for_user(user, pk: int, perm: str = VIEW) -> Lead:
    lead = (
        selectors.leads_visible_to(user)
        .select_related("owner_dealer", "owner_user", "owner_queue", "account", "dealer_assignee")
        .filter(pk=pk)
        .first()
    )
    if lead is None:
        raise Http404("No such lead")
    if perm != VIEW and not user.has_perm(perm, lead):
        raise PermissionDenied
    return lead
