"""Settings come from the environment: each case runs a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT = """
import json, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()
from django.conf import settings as s
from portal.celery import app
print(json.dumps({
    "engine": s.DATABASES["default"]["ENGINE"],
    "name": str(s.DATABASES["default"]["NAME"]),
    "cache": s.CACHES["default"]["BACKEND"],
    "broker": app.conf.broker_url,
    "eager": app.conf.task_always_eager,
    "debug": s.DEBUG,
    "hosts": s.ALLOWED_HOSTS,
    "tz": s.TIME_ZONE,
    "ssl_redirect": getattr(s, "SECURE_SSL_REDIRECT", False),
    "hsts": getattr(s, "SECURE_HSTS_SECONDS", 0),
    "email": s.EMAIL_BACKEND,
    "email_host": getattr(s, "EMAIL_HOST", None),
    "from": s.DEFAULT_FROM_EMAIL,
    "csrf_origins": s.CSRF_TRUSTED_ORIGINS,
}))
"""

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k9#Vq2!mZ7pLr4@tX8wYc1^bN6dF3sHj0uGe5aQ-Rz&Wo+Lm3Pk8Tn",
    "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "ALLOWED_HOSTS": "portal.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
    "DEFAULT_FROM_EMAIL": "Portal <portal@example.com>",
    "TIME_ZONE": "Europe/Berlin",
}


def read_settings(script: str = PRINT, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k not in ("EMAIL_URL", "PYTEST_XDIST_WORKER")
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


def setting_values(names: list[str], **env) -> list:
    """The named settings read by a fresh interpreter from exactly ``env`` on top of the
    laptop's environment (no production variables)."""
    code = (
        "import json, django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings');"
        "django.setup();"
        "from django.conf import settings as s;"
        f"print(json.dumps([getattr(s, name) for name in {names!r}]))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k not in names}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_run_on_a_laptop():
    result = read_settings()
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("var/db.sqlite3")
    assert values["cache"].endswith("LocMemCache")
    assert values["eager"] is True
    assert values["debug"] is True
    assert values["tz"] == "Europe/Amsterdam"
    assert values["email"].endswith("filebased.EmailBackend")


def test_production_variables_are_read():
    result = read_settings(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "portal.postgresql"  # Django's, its health check without a query
    assert values["name"] == "portal"
    assert values["cache"].endswith("RedisCache")
    assert values["broker"] == "redis://cache.internal:6379/0"
    assert values["eager"] is False
    assert values["debug"] is False
    assert values["hosts"] == ["portal.example.com"]
    assert values["csrf_origins"] == ["https://portal.example.com"]
    assert values["ssl_redirect"] is True
    assert values["hsts"] >= 31536000
    assert values["email"].endswith("smtp.EmailBackend")
    assert values["email_host"] == "smtp.example.com"
    assert values["from"] == "Portal <portal@example.com>"
    assert values["tz"] == "Europe/Berlin"


FIRST_PUBLISH = """
import json, sys, time, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()
from django.conf import settings
from portal import queue
from portal.celery import app
from portal.users.tasks import deliver_pending_notifications
loaded = "kombu.transport.redis" in sys.modules
started = time.perf_counter()
queued = queue.publish(deliver_pending_notifications)
print(json.dumps({
    "broker": app.conf.broker_url,
    "cache": settings.CACHES["default"]["LOCATION"],
    "loaded_at_start": loaded,
    "queued": queued,
    "seconds": time.perf_counter() - started,
}))
"""


def test_a_broker_of_its_own_is_used_and_its_transport_is_loaded_at_start():
    """CELERY_BROKER_URL is the broker, REDIS_URL stays the cache; the first publish of a
    fresh process (broker unreachable) gives up quickly, its transport already loaded
    when Django started (importing it took 0.3-0.5 s inside the first request)."""
    env = {
        **PRODUCTION,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/3",  # nothing listens on port 1
    }
    result = read_settings(FIRST_PUBLISH, **env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["broker"] == "redis://127.0.0.1:1/3"
    assert values["cache"] == "redis://127.0.0.1:1/0"
    assert values["loaded_at_start"] is True
    assert values["queued"] is False
    assert values["seconds"] < 1.0  # TIMEOUT is 0.1 s; a cold import took up to 0.5 s


def test_secret_key_is_required_without_debug():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = read_settings(**env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("proxy", ["0", "1"])
def test_check_deploy_is_clean_with_production_variables(proxy):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' fixture when they ran earlier
    # in this worker; check --deploy rightly warns about it, but it is not production's.
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
        },
        **PRODUCTION,
        "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
        "SECURE_PROXY_SSL_HEADER": proxy,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("named", "worker", "database"),
    [
        ("redis://127.0.0.1:6379/12", "gw0", "redis://127.0.0.1:6379/12"),
        ("redis://127.0.0.1:6379/12", "gw3", "redis://127.0.0.1:6379/15"),
        ("redis://127.0.0.1:6379/15", "gw1", "redis://127.0.0.1:6379/0"),
        ("redis://127.0.0.1:6379", "gw1", "redis://127.0.0.1:6379/1"),
        (
            "redis://:pw@cache:6379/2?socket_timeout=1",
            "gw1",
            "redis://:pw@cache:6379/3?socket_timeout=1",
        ),
    ],
)
def test_parallel_test_workers_count_their_redis_databases_from_the_one_named(
    named, worker, database
):
    (caches,) = setting_values(["CACHES"], REDIS_URL=named, PYTEST_XDIST_WORKER=worker)
    assert caches["default"]["LOCATION"] == database
