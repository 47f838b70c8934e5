"""WSGI entry point for gunicorn: ``gunicorn portal.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

from portal.runtime import tune_garbage_collection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()
tune_garbage_collection()  # what start-up made stays out of every collection
