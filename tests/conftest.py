"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL + Redis in CI
(``DATABASE_URL`` / ``REDIS_URL``); tests marked ``postgres`` are skipped on SQLite."""

import shutil

import pytest
from django.db import connection
from django.utils import translation

from portal.celery import app as celery_app


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
    """Fast password hashing, a clean cache (rate limits), staff MFA off unless a test
    turns it on, e-mail in memory, tasks run in-process; afterwards the default language
    again (a request as a Dutch user leaves Dutch active in this thread)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REQUIRE_STAFF_MFA = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core.cache import cache

    from leads import world

    cache.clear()
    world.reset()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager
    translation.deactivate()
