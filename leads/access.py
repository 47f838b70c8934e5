"""The one door for reaching a lead: an outsider gets 404 (exactly like a lead that
does not exist), a member without the permission gets 403. Views never test
permissions by hand; they ask here.

- VIEW: the lead is among ``leads_visible_to(user)`` (the dealer's group, the owning
  rep, the channel and sales managers).
- ACT (accept, reject, log contact, change status, add a note): the admin of the
  owning dealer always; the channel and sales managers (model-wide permission); else
  the ``act_on_lead`` object permission, which belongs to the dealer's group, or to one
  colleague once the dealer admin handed the lead to them, or to the owning rep.
- HAND_OVER (give the lead to a colleague): the admin of the owning dealer only.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from leads import selectors
from leads.models import Lead, Policy

VIEW = "leads.view_lead"
ACT = "leads.act_on_lead"
HAND_OVER = "leads.hand_over_lead"  # a dealer admin's right, not a stored permission


def get_lead_for_user(user, pk: int, perm: str = VIEW) -> Lead:
    lead = selectors.lead_for_user(user, pk)
    if lead is None:
        raise Http404("No such lead")
    if not user_has_lead_perm(user, lead, perm):
        raise PermissionDenied
    return lead


def user_has_lead_perm(user, lead: Lead, perm: str) -> bool:
    """For a lead the user can already see (``get_lead_for_user`` checked that)."""
    if perm == VIEW:
        return True
    if perm == HAND_OVER:
        return is_admin_of_owning_dealer(user, lead)
    if perm != ACT:
        return False
    if not user.is_active:
        return False
    if is_admin_of_owning_dealer(user, lead):
        return True
    if user.has_perm(ACT):  # model-wide: channel and sales managers
        return True
    return user.has_perm(ACT, lead)


def is_admin_of_owning_dealer(user, lead: Lead) -> bool:
    membership = user.dealer_membership
    if membership is None:
        return False
    if membership.dealer_id != lead.owner_dealer_id:
        return False
    return membership.is_admin


CONTACT_FIELDS = ("contact_name", "contact_role", "contact_email", "contact_phone", "message")


def contact_hidden(user, lead: Lead, *, policy=None) -> bool:
    """Whether ``user`` may not see ``lead``'s contact yet: with the policy "show the
    contact to a dealer only after it accepts" on, a dealer's people see a new lead's
    company, place, interest and value, and its contact person, e-mail, phone and
    message (free text, which often holds them too) once the lead is accepted. Staff
    always see them. The one rule every page, export, API answer and e-mail asks."""
    if lead.status != Lead.Status.NEW or user.dealer_membership is None:
        return False
    policy = policy or Policy.current()
    return policy.contact_after_accept


def lead_rights(user, lead: Lead) -> dict[str, bool]:
    """What the lead's page may offer this user (the actions still go through
    ``get_lead_for_user`` when posted)."""
    return {
        "act": user_has_lead_perm(user, lead, ACT),
        "hand_over": user_has_lead_perm(user, lead, HAND_OVER),
    }


def require_dealer_member(user):
    """The user's dealer membership; a page for dealers refuses everyone else (403)."""
    membership = user.dealer_membership
    if membership is None:
        raise PermissionDenied
    return membership


def require_internal(user) -> None:
    """A page for the manufacturer's own people refuses dealers (403)."""
    if not user.is_internal:
        raise PermissionDenied
