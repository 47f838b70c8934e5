"""Every write of a claim's object permissions.

The rows django-guardian reads for a claim (``ClaimGroupObjectPermission``,
``ClaimUserObjectPermission``) are written here and nowhere else
(``tests/leads/test_access_grants.py`` checks that); the callers are ``claim_submit``
and the demo seeder. The function writes inside the caller's transaction.

The dealer's group may view and change its claims (``view_claim``, ``change_claim``);
staff reach every claim through their role.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Permission

from dealers.models import Claim, ClaimGroupObjectPermission, Dealer


def claim_permissions_grant(claims: Iterable[Claim]) -> None:
    """The group of each claim's dealer may view and change that claim. Granting again
    changes nothing. The dealers' groups are read in one query, unless each claim
    already holds its dealer."""
    claims = list(claims)
    if not claims:
        return
    groups = {c.dealer_id: c.dealer.group_id for c in claims if Claim.dealer.is_cached(c)}
    missing = {c.dealer_id for c in claims} - groups.keys()
    if missing:
        groups |= dict(Dealer.objects.filter(pk__in=missing).values_list("pk", "group_id"))
    permissions = list(
        Permission.objects.filter(
            content_type__app_label="dealers", codename__in=["view_claim", "change_claim"]
        )
    )
    ClaimGroupObjectPermission.objects.bulk_create(
        [
            ClaimGroupObjectPermission(group_id=groups[c.dealer_id], permission=p, content_object=c)
            for c in claims
            for p in permissions
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
