"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL + Redis in CI
(``DATABASE_URL`` / ``REDIS_URL``); tests marked ``postgres`` are skipped on SQLite.

``PORTAL_TEST_NOW`` (an ISO 8601 moment with its offset, e.g.
``2026-12-04T20:20:00+01:00``) runs the suite as if it were that moment: the clock is
there when the session starts and travels back there at the start of every test, then
moves on (time-machine with ``tick``). CI runs the suite at awkward moments this way
(``.ci/run``), so no test depends on the day or the hour it runs at. Only Python's
clock travels: PostgreSQL's ``now()`` stays real, so the product never asks the
database for the time."""

import os
import shutil
from datetime import datetime

import pytest
import time_machine
from django.db import connection
from django.utils import translation

from portal.celery import app as celery_app


def _test_now() -> datetime | None:
    text = os.environ.get("PORTAL_TEST_NOW", "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise pytest.UsageError(
            f"PORTAL_TEST_NOW={text!r} is not an ISO 8601 moment, e.g. 2026-12-04T20:20:00+01:00"
        ) from None
    if moment.tzinfo is None:
        raise pytest.UsageError(
            f"PORTAL_TEST_NOW={text!r} needs its UTC offset, e.g. 2026-12-04T20:20:00+01:00"
        )
    return moment


TEST_NOW: datetime | None = None
_session_clock: list[time_machine.travel] = []


def pytest_configure(config):
    """With ``PORTAL_TEST_NOW`` the clock is at that moment from the start, before test
    modules are imported (their constants, factories' defaults)."""
    global TEST_NOW
    TEST_NOW = _test_now()
    if TEST_NOW is not None:
        _session_clock.append(time_machine.travel(TEST_NOW, tick=True))
        _session_clock[0].start()


def pytest_unconfigure(config):
    while _session_clock:
        _session_clock.pop().stop()


def pytest_report_header(config):
    if TEST_NOW:
        return f"clock: every test starts at {TEST_NOW.isoformat()} (PORTAL_TEST_NOW)"
    return None


def pytest_terminal_summary(terminalreporter, config):
    """The random order's seed at the end, also under ``--quiet`` (which hides the
    header pytest-randomly prints it in), so a failing order can be replayed."""
    seed = getattr(config.option, "randomly_seed", None)
    if isinstance(seed, int) and config.pluginmanager.hasplugin("randomly"):
        terminalreporter.write_line(f"random order: replay it with --randomly-seed={seed}")


@pytest.fixture(autouse=True)
def _test_clock():
    """Every test starts at ``PORTAL_TEST_NOW`` when it is set; a test that travels
    elsewhere itself (``time_machine.travel``) goes from there."""
    if TEST_NOW is None:
        yield
        return
    with time_machine.travel(TEST_NOW, tick=True):
        yield


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL (row locks, SKIP LOCKED, real concurrency); runs in CI"
    )
    skip_browser = pytest.mark.skip(reason="Debian's chromium is not installed (/usr/bin/chromium)")
    has_chromium = shutil.which("chromium") is not None
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(skip_browser)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    """Fast password hashing, a clean cache (rate limits) and empty process caches
    (content types: a query count must not depend on whether an earlier test in this
    worker loaded them), staff MFA off unless a test
    turns it on, e-mail in memory, tasks run in-process; the default language before and
    after (a request as a Dutch user leaves Dutch active in this thread), so no test
    depends on the one before it (the suite runs in random order, pytest-randomly)."""
    translation.deactivate()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REQUIRE_STAFF_MFA = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache

    from leads import world

    cache.clear()
    world.reset()
    ContentType.objects.clear_cache()
    outages_forgotten()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager
    translation.deactivate()
    outages_forgotten()


def outages_forgotten() -> None:
    """No test inherits a broker or cache outage another test simulated."""
    from portal import cache, queue

    queue.reset()
    cache.reset()


@pytest.fixture
def broker_at():
    """``broker_at(url)`` points Celery at a broker address and publishes for real (not
    in-process), e.g. a port where nothing listens; restores the app afterwards."""
    conf = celery_app.conf
    saved = conf.broker_url

    def point(url: str) -> None:
        conf.broker_url, conf.task_always_eager = url, False
        celery_app._pool = None  # connect to the new address on the next publish
        outages_forgotten()

    yield point
    conf.broker_url = saved
    celery_app._pool = None
