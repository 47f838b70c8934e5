"""WSGI entry point for gunicorn: ``gunicorn portal.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

from portal.runtime import tune_garbage_collection, warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()
warm_up()  # before the first request, not in it
tune_garbage_collection()  # what start-up made stays out of every collection
