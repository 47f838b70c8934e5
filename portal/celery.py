"""The Celery application.

Configuration comes from Django settings with the ``CELERY_`` prefix (see
``portal/settings.py``); the beat schedule lives there too. Tasks are thin: they take
ids, call one service and own retries.
"""

import os

from celery import Celery
from celery.signals import worker_process_init

from portal.runtime import tune_garbage_collection, warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_worker(**_kwargs):
    """Each worker process, once it has loaded the app (``portal.runtime``): what
    Django loads lazily is loaded before the first task, not in it."""
    warm_up()
    tune_garbage_collection()
