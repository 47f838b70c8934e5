"""The Celery application.

Configuration comes from Django settings with the ``CELERY_`` prefix (see
``portal/settings.py``); the beat schedule lives there too. Tasks are thin: they take
ids, call one service and own retries.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
