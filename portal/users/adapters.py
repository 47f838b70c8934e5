"""allauth adapter: the portal is invite-only, and first-time MFA set-up right after
signing in does not ask for the password a second time.

Nobody signs up. A channel manager invites a dealer's admin, a dealer admin invites
colleagues (``portal.users.services.user_invite``); the invitation e-mail carries a
link that sets the password.
"""

import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.models import Authenticator

FRESH_LOGIN_SECONDS = 300


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        required = super().is_reauthentication_required(app=app, **kwargs)
        if required and app == "allauth.mfa" and self._first_mfa_setup_after_fresh_login():
            return False
        return required

    def _first_mfa_setup_after_fresh_login(self) -> bool:
        request = self.request or context.request
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if Authenticator.objects.filter(user=user).exists():
            return False  # changing existing MFA always asks for the password again
        records = get_authentication_records(request, user)
        return any(
            r.get("method") == "password" and time.time() - r.get("at", 0) < FRESH_LOGIN_SECONDS
            for r in records
        )
