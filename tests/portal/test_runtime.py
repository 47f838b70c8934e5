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
