from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads and accounts")

    def ready(self):
        import portal.db  # noqa: F401 - registers the __any lookup
        from leads import signals
        from leads.imports import tasks  # noqa: F401 - registers the import tasks

        signals.connect()
