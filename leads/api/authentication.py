"""REST authentication by API key: ``Authorization: Api-Key dp_…`` (or ``X-Api-Key``).

An integration's key authenticates as an anonymous-like principal that may only post
leads (``request.auth`` is the ``ApiKey``, ``request.user`` an ``IntegrationUser``);
a personal key authenticates as its person.

Failed key checks are counted per client address (``ApiKeyFailureThrottle``): once an
address has used up ``API_KEY_FAILURE_RATE``, every key it presents is answered 429 with
``Retry-After``, the right one too (were the right key let through, the 429 would tell a
guesser which guess was right); other addresses are not affected.
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.throttling import SimpleRateThrottle

from leads.services.api_keys import api_key_check, api_key_touch


class IntegrationUser(AnonymousUser):
    """The caller behind an integration key: authenticated, but nobody's account."""

    def __init__(self, integration):
        self.integration = integration

    @property
    def is_authenticated(self):
        return True

    def __str__(self):
        return f"integration:{self.integration}"


class ApiKeyFailureThrottle(SimpleRateThrottle):
    """Failed API-key checks per client address: DRF's ident, the connection's address or,
    behind ``TRUSTED_PROXY_COUNT`` proxies (``NUM_PROXIES``), the one they forwarded."""

    scope = "api_key_failures"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def blocked(self, request) -> bool:
        """Whether this address has used up its failures (records nothing)."""
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record_failure(self) -> None:
        """Count one failed check (after ``blocked``)."""
        self.throttle_success()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        key = request.META.get("HTTP_X_API_KEY", "")
        header = authentication.get_authorization_header(request).decode(errors="ignore")
        if header:
            scheme, _sep, value = header.partition(" ")
            if scheme.lower() != self.keyword.lower():
                return None
            key = value.strip()
        if not key:
            return None
        throttle = ApiKeyFailureThrottle()
        if throttle.blocked(request):
            raise exceptions.Throttled(wait=throttle.wait())
        api_key = api_key_check(key)
        if api_key is None:
            throttle.record_failure()
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        api_key_touch(api_key)
        user = api_key.user or IntegrationUser(api_key.integration)
        return user, api_key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "leads.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key dp_…` (an integration key or a personal token)",
        }
