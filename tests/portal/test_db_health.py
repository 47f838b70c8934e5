"""The health check of a kept PostgreSQL connection (``portal/postgresql/base.py``): it
asks the server nothing, and still finds a connection the server has ended."""

import time

import pytest
from django.db import connection, connections

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def kept():
    """A second connection to the test database, as a web worker keeps one."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _last_statement(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_a_healthy_kept_connection_is_usable_without_a_statement(kept):
    with kept.cursor() as cursor:
        cursor.execute("SELECT 'the last thing asked'")
    pid = kept.connection.info.backend_pid
    assert kept.is_usable()
    # (Django's own check would have sent ``SELECT 1``.)
    assert _last_statement(pid) == "SELECT 'the last thing asked'"


def test_a_connection_the_server_ended_fails_the_check_and_is_opened_again(kept):
    pid = kept.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while kept.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # (the server's goodbye arrives a moment later)
    assert not kept.is_usable()
    # What Django does before a request's first query with CONN_HEALTH_CHECKS:
    kept.health_check_enabled, kept.health_check_done = True, False
    kept.close_if_health_check_failed()
    with kept.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
