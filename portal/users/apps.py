from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "portal.users"
    label = "users"
    verbose_name = _("People and notifications")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from portal import queue
        from portal.celery import app
        from portal.users.sessions import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="portal.users.session_age")
        # Every process that may publish (web, worker) loads the broker's transport at
        # start: notifications are the outbox every part of the portal writes to.
        queue.prepare(app)
