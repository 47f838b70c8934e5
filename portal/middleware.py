"""Second factor for internal staff.

DESIGN.md: internal staff sign in with TOTP. Everyone who can reach the admin or any
staff page (``portal.staff.on_staff_side``: a staff profile, ``is_staff`` ticked in the
admin, a superuser) and has not set it up yet is sent to the set-up page until they
have; the settings ``REQUIRE_STAFF_MFA=0`` switches this off for the local demo.
"""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal.staff import on_staff_side

ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/favicon", "/inbound/")
SESSION_FLAG = "staff_mfa_ok"


class RequireStaffMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up_mfa(request):
            messages.warning(
                request,
                _(
                    "Internal staff must use two-factor authentication. Set up your authenticator app to continue."
                ),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def _must_set_up_mfa(self, request) -> bool:
        if not settings.REQUIRE_STAFF_MFA:
            return False
        user = getattr(request, "user", None)
        if user is None or not on_staff_side(user):
            return False
        if request.path.startswith(ALLOWED_PREFIXES):
            return False
        if request.session.get(SESSION_FLAG):
            return False
        has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        if has_totp:
            request.session[SESSION_FLAG] = True
        return not has_totp


class UserLanguageMiddleware:
    """A signed-in user sees the portal in their own language (Preferences, or the
    switcher, which also saves it), whatever the browser asks for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "language", None):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
