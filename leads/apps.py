from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads and accounts")

    def ready(self):
        import portal.db  # noqa: F401 - registers the __any lookup
        from leads import signals
        from leads.imports import tasks  # noqa: F401 - registers the import tasks
        from leads.services import email_actions
        from leads.webhooks import tasks as webhook_tasks  # noqa: F401 - and the webhooks'
        from portal.users import services as user_services

        signals.connect()
        # Accept and Reject buttons on a dealer's new-lead e-mail and in the digest.
        if email_actions.email_buttons not in user_services.email_buttons:
            user_services.email_buttons.append(email_actions.email_buttons)
