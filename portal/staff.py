"""The one door for staff pages: ``@staff_required(Role.CHANNEL_MANAGER, …)``.

Anonymous visitors are sent to the login page; signed-in users without one of the roles
(every dealer user, for a start) get 403. Superusers without a dealer membership pass.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from portal.users.models import Role

MANAGERS = (Role.CHANNEL_MANAGER, Role.SALES_MANAGER)
ALL_STAFF = tuple(Role.staff_roles())


def has_staff_role(user, roles) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_dealer_user:
        return False
    if user.is_superuser:
        return True
    return user.has_role(*roles)


def staff_required(*roles):
    """Allow signed-in internal staff with one of ``roles`` (default: every staff role)."""
    allowed = roles or ALL_STAFF

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_staff_role(request.user, allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
