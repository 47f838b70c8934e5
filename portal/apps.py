from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """Django admin with our site class: internal staff only, signed in through allauth."""

    default_site = "portal.admin.PortalAdminSite"
