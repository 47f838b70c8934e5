"""The long-running processes set the garbage collector up once the app is loaded
(``portal.runtime``): gunicorn's workers (``portal.wsgi``), each Celery worker process
and ``manage.py import_leads``."""

import gc
import json

from celery.signals import worker_process_init

from portal.runtime import THRESHOLDS, tune_garbage_collection
from tests.portal.test_settings import read_settings

STATE = "import gc, json; print(json.dumps([gc.get_threshold(), gc.get_freeze_count()]))"


def test_a_gunicorn_worker_collects_rarely_and_leaves_what_start_up_made_alone():
    result = read_settings("import portal.wsgi; " + STATE)
    assert result.returncode == 0, result.stderr
    thresholds, frozen = json.loads(result.stdout)
    assert tuple(thresholds) == THRESHOLDS
    assert frozen > 10_000  # Django, the apps, the URL patterns…


FIRST_REQUEST_WORK = """
import json, sys
import portal.wsgi
from django.core.validators import EmailValidator, validate_email
from django.urls import resolve, reverse
from django.utils import translation
from leads.sla.businesstime import WorkingCalendar, is_working_day
import datetime
loaded = set(sys.modules)
before = EmailValidator.domain_regex._wrapped
resolve("/api/v1/leads/"); reverse("leads:inbox"); reverse("dealers:claims")
validate_email("first@example.com")
is_working_day(datetime.date(2027, 5, 5), WorkingCalendar.for_country("NL"))
is_working_day(datetime.date(2027, 10, 3), WorkingCalendar.for_country("DE"))
with translation.override("de"):
    str(translation.gettext("Leads"))
print(json.dumps({"new": sorted(set(sys.modules) - loaded), "pattern": type(before).__name__}))
"""


def test_a_gunicorn_worker_does_the_first_requests_lazy_work_before_it_serves():
    """URLs, views, the holiday rules, the e-mail patterns and the catalogues are
    loaded as ``portal.wsgi`` loads: the first request imports no module (it took a
    fresh worker's first intake 0.46-0.80 s against 10-17 ms for the next)."""
    result = read_settings(FIRST_REQUEST_WORK)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert found == {"new": [], "pattern": "Pattern"}


def test_a_plain_interpreter_keeps_pythons_defaults():
    result = read_settings(STATE)
    assert json.loads(result.stdout) == [[700, 10, 10], 0]


def test_each_celery_worker_process_sets_it_up_when_it_starts():
    before = gc.get_threshold()
    try:
        worker_process_init.send(sender=None)
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_tuning_twice_is_harmless():
    before = gc.get_threshold()
    try:
        tune_garbage_collection()
        tune_garbage_collection()
        assert gc.get_threshold() == THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
