from rest_framework.permissions import BasePermission

from leads.models import ApiKey


class IsIntegration(BasePermission):
    """Only an integration's API key may post leads."""

    message = "Post leads with an integration API key (Authorization: Api-Key …)."

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey) and request.auth.integration_id is not None
