from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "portal.audit"
    label = "audit"
    verbose_name = _("Change history")

    def ready(self):
        from portal.audit import signals  # noqa: F401 (connects the LogEntry copy)
