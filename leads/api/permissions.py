from rest_framework.permissions import BasePermission

from leads.models import ApiKey


class IsIntegration(BasePermission):
    """Only an integration's API key with the ``leads`` scope may post leads."""

    message = "Post leads with an integration API key (Authorization: Api-Key …)."
    scope = ApiKey.Scope.LEADS

    def has_permission(self, request, view):
        key = request.auth
        return (
            isinstance(key, ApiKey)
            and key.integration_id is not None
            and self.scope in (key.scopes or ())
        )


class SyncsAccounts(IsIntegration):
    """An integration's API key with the ``accounts`` scope (a CRM or ERP)."""

    message = "Sync accounts with an integration API key that has the accounts scope."
    scope = ApiKey.Scope.ACCOUNTS
