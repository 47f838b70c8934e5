"""The one door to claims and to a dealer's team: an outsider gets 404 (exactly like a
claim or colleague that does not exist), a member without the permission gets 403.
Views never test permissions by hand."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from dealers import selectors
from dealers.models import Claim, DealerMembership

VIEW = "dealers.view_claim"
CHANGE = "dealers.change_claim"


def get_claim_for_user(user, pk: int, perm: str = VIEW) -> Claim:
    """The claim ``pk`` if ``user`` may see it (404 otherwise) and holds ``perm`` on it
    (403 otherwise): object permission of the dealer's group, or model-wide for staff."""
    claim = (
        selectors.claims_visible_to(user)
        .select_related("dealer", "account", "submitted_by", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if claim is None:
        raise Http404("No such claim")
    if perm != VIEW and not (user.has_perm(perm) or user.has_perm(perm, claim)):
        raise PermissionDenied
    return claim


def may_change_claim(user, claim: Claim) -> bool:
    """Whether ``user`` may renew or withdraw ``claim``: the claiming dealer's own
    actions, for its people with the object permission (staff reject or revoke a claim
    on the claim review instead)."""
    membership = getattr(user, "dealer_membership", None) if user.is_authenticated else None
    return (
        membership is not None
        and membership.dealer_id == claim.dealer_id
        and user.has_perm(CHANGE, claim)
    )


def get_dealer_membership(user) -> DealerMembership:
    """The signed-in user's dealer membership; pages for dealers only are 403 for others."""
    membership = getattr(user, "dealer_membership", None) if user.is_authenticated else None
    if membership is None:
        raise PermissionDenied
    return membership


def get_dealer_admin_membership(user) -> DealerMembership:
    """The membership of a dealer admin (team pages); 403 for everyone else."""
    membership = get_dealer_membership(user)
    if not membership.is_admin:
        raise PermissionDenied
    return membership


def get_colleague_for_admin(user, pk: int) -> DealerMembership:
    """A membership of the admin's own dealer: another dealer's person is a 404, a
    dealer user (not admin) gets 403."""
    membership = get_dealer_membership(user)
    colleague = (
        DealerMembership.objects.select_related("user", "dealer")
        .filter(pk=pk, dealer_id=membership.dealer_id)
        .first()
    )
    if colleague is None:
        raise Http404("No such colleague")
    if not membership.is_admin:
        raise PermissionDenied
    return colleague
