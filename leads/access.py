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
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from leads import selectors
from leads.models import Assignment, Lead, LeadEvent, Policy

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

# The annotation ``with_contact_facts`` adds: whether the dealer (its id fills in the
# name, so a fact never answers for another dealer) accepted the lead in a stint of its.
_ACCEPTED_BY = "contact_accepted_by_dealer_%d"


def contact_hidden(user, lead: Lead, *, policy=None) -> bool:
    """Whether ``user`` may not see ``lead``'s contact: with the policy "show the
    contact to a dealer only after it accepts" on, a dealer's people see a lead's
    company, place, interest and value, and its contact person, e-mail, phone and
    message (free text, which often holds them too) only when their dealer accepted
    it (``contact_hidden_from_dealer``). Staff always see them. The one rule every
    page, export, API answer and e-mail asks."""
    membership = user.dealer_membership
    if membership is None:
        return False
    if _owner_past_new(membership.dealer_id, lead):  # no query: the common case
        return False
    policy = policy or Policy.current()
    if not policy.contact_after_accept:
        return False
    return contact_hidden_from_dealer(membership.dealer_id, lead)


def contact_hidden_from_dealer(dealer_id: int, lead: Lead) -> bool:
    """The rule for one lead, the policy being on: the contact is shown to a dealer
    that owns the lead past "new" (it accepted it in this stint), or that accepted it
    in a stint of its own before and lost it since (it keeps what it saw). A dealer
    that had the lead and lost it without accepting (recycled, reassigned, taken
    back) never saw the contact and does not see it now, whatever the next owner did
    with the lead. Reads ``with_contact_facts``' annotation when there is one, else
    asks the database (one query)."""
    if _owner_past_new(dealer_id, lead):
        return False
    accepted = getattr(lead, _ACCEPTED_BY % dealer_id, None)
    if accepted is None:
        accepted = Lead.objects.filter(pk=lead.pk).filter(_accepted_by(dealer_id)).exists()
    return not accepted


def contact_visible_q(dealer_id: int) -> Q:
    """``contact_hidden_from_dealer`` as a filter: the leads whose contact the dealer
    may see (a search matches contact fields only on these)."""
    return (Q(owner_dealer_id=dealer_id) & ~Q(status=Lead.Status.NEW)) | Q(_accepted_by(dealer_id))


def contact_hidden_q(dealer_id: int) -> Q:
    """The leads whose contact is hidden from the dealer (the policy being on)."""
    return ~contact_visible_q(dealer_id)


def with_contact_facts(leads: QuerySet[Lead], user, *, policy=None) -> QuerySet[Lead]:
    """``leads`` with what ``contact_hidden`` needs for each of them in the same query
    (a list or an export asks it per row): for a dealer's people, with the policy on,
    whether their dealer accepted the lead; else ``leads`` unchanged (nothing to ask)."""
    membership = getattr(user, "dealer_membership", None)
    if membership is None:
        return leads
    policy = policy or Policy.current()
    if not policy.contact_after_accept:
        return leads
    dealer_id = membership.dealer_id
    return leads.annotate(**{_ACCEPTED_BY % dealer_id: _accepted_by(dealer_id)})


def _owner_past_new(dealer_id: int, lead: Lead) -> bool:
    return lead.owner_dealer_id == dealer_id and lead.status != Lead.Status.NEW


def _accepted_by(dealer_id: int) -> Exists:
    """The lead has an "accepted" event that falls in a stint of ``dealer_id`` (the
    event names the person who accepted, the stint names the owner it accepted for)."""
    stint = Assignment.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=OuterRef("at")),
        lead_id=OuterRef("lead_id"),
        owner_dealer_id=dealer_id,
        started_at__lte=OuterRef("at"),
    )
    return Exists(
        LeadEvent.objects.filter(lead_id=OuterRef("pk"), kind=LeadEvent.Kind.ACCEPTED).filter(
            Exists(stint)
        )
    )


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
