"""Staff pages: who may open them, and which dealers a channel manager manages.

Every page under /manage/ is decorated with ``staff_required(*roles)``: an anonymous
visitor is sent to the login page, a dealer user (or anyone without one of ``roles``)
gets 403. A superuser who is not a dealer member passes as every staff role. The admin
opens for ``is_staff`` users who are no dealer member (``may_open_admin``).
``on_staff_side`` is everyone who reaches one or the other: they sign in with TOTP
(``REQUIRE_STAFF_MFA``) and get the shorter staff session.

A channel manager whose staff profile lists countries manages the dealers that serve
one of those countries (and the territories in them); without countries, all of them.
Other staff roles see every dealer they are allowed to see at all.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from dealers.models import Dealer
from portal.users.models import Role
from territories.models import Territory

MANAGERS = (Role.CHANNEL_MANAGER, Role.SALES_MANAGER)
CHANNEL = (Role.CHANNEL_MANAGER,)
ALL_STAFF = tuple(Role.staff_roles())
REPS = (Role.INTERNAL_SALES, Role.SENIOR_REP)


def has_staff_role(user, roles) -> bool:
    """One condition per line: signed in, active, internal, and one of ``roles``."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_dealer_user:
        return False
    if user.is_superuser:
        return True
    return user.has_role(*roles)


def may_open_admin(user) -> bool:
    """The Django admin: signed in, active, no dealer member (even with ``is_staff``
    ticked by mistake), and ``is_staff``."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_dealer_user:
        return False
    return user.is_staff


def on_staff_side(user) -> bool:
    """Reaches the admin or any staff page, whichever way they became staff (staff
    profile, ``is_staff`` ticked in the admin, superuser)."""
    if may_open_admin(user):
        return True
    return has_staff_role(user, ALL_STAFF)


def staff_required(*roles: Role) -> Callable:
    """Decorate a view: login required, then 403 unless the user has one of ``roles``
    (all staff roles when none are given)."""
    allowed = roles or ALL_STAFF

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_staff_role(request.user, allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def managed_countries(user) -> frozenset[str] | None:
    """The countries a channel manager is limited to, or None for all of them."""
    if user.is_superuser or not user.has_role(Role.CHANNEL_MANAGER):
        return None
    profile = user.staff_profile
    codes = frozenset(c.code for c in profile.countries) if profile else frozenset()
    return codes or None


def dealers_managed_by(user) -> QuerySet[Dealer]:
    """The dealers this staff user manages (all for unrestricted staff)."""
    dealers = Dealer.objects.all()
    countries = managed_countries(user)
    if countries is None:
        return dealers
    serves = Q()
    for code in sorted(countries):
        # CountryField(multiple=True) stores "NL,BE": a two-letter code is never part
        # of another code's neighbourhood across the comma.
        serves |= Q(countries__contains=code)
    return dealers.filter(serves)


def territories_managed_by(user) -> QuerySet[Territory]:
    territories = Territory.objects.all()
    countries = managed_countries(user)
    if countries is None:
        return territories
    return territories.filter(country__in=sorted(countries))


def get_dealer_for_staff(user, pk: int) -> Dealer:
    """A managed dealer, or 404 (exactly like a dealer that does not exist)."""
    dealer = dealers_managed_by(user).filter(pk=pk).first()
    if dealer is None:
        raise Http404("No such dealer")
    return dealer


def get_territory_for_staff(user, pk: int) -> Territory:
    territory = territories_managed_by(user).filter(pk=pk).first()
    if territory is None:
        raise Http404("No such territory")
    return territory
