"""How long a signed-in session lasts.

``SESSION_COOKIE_AGE`` from signing in, and the shorter ``STAFF_SESSION_AGE`` for
whoever reaches the admin or a staff page (``portal.staff.on_staff_side``, the same
people who must use TOTP). The end is a fixed moment, not pushed back by activity, and
the cookie carries it, so the browser drops the session when the server does. There is
no "remember me": every session ends at its time, whatever the browser restores.

Applied on every sign-in (Django's ``user_logged_in``: the login form, the TOTP step,
a password reset or invitation link) and again after the login form, which sets
allauth's own fixed age once the user is signed in.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from portal.staff import on_staff_side


def session_age(user) -> timedelta:
    if on_staff_side(user):
        return timedelta(seconds=settings.STAFF_SESSION_AGE)
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)


def session_set_age(request, user) -> None:
    request.session.set_expiry(timezone.now() + session_age(user))


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    session_set_age(request, user)
