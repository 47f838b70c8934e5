"""Second factor for internal staff.

DESIGN.md: internal staff sign in with TOTP. Everyone who can reach the admin or any
staff page (``portal.staff.on_staff_side``: a staff profile, ``is_staff`` ticked in the
admin, a superuser) and has not set it up yet is sent to the set-up page until they
have; the settings ``REQUIRE_STAFF_MFA=0`` switches this off for the local demo.
"""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import get_resolver, reverse
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


class NotFoundPageMiddleware:
    """The portal's own 404 page with ``DEBUG`` on, as without it.

    With ``DEBUG`` Django answers a 404 with its debug page listing every URL pattern.
    The demo (``dev.py run``) runs with ``DEBUG``, and a visitor reads that page as a
    crash, so a missing page (no URL matches) or a view's 404 (a lead that is no longer
    yours) shows the project's 404 handler instead. ``DEBUG_TECHNICAL_404=1`` brings
    Django's page back for a developer. Without ``DEBUG`` Django already uses the
    handler and this does nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and request.resolver_match is None and self._active():
            # No URL pattern matched: Django built its debug page before any middleware
            # could step in.
            return self._page(request, Http404())
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and self._active():
            return self._page(request, exception)
        return None

    @staticmethod
    def _active() -> bool:
        return settings.DEBUG and not settings.DEBUG_TECHNICAL_404

    @staticmethod
    def _page(request, exception):
        return get_resolver().resolve_error_handler(404)(request, exception)
