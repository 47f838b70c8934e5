"""The suite's clock. ``PORTAL_TEST_NOW`` sends every test to one moment when it starts
(tests/conftest.py; CI runs the suite at two awkward moments this way), and the product
never asks the database for the time, since the database's clock does not travel."""

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation

from tests import conftest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ["portal", "dealers", "leads", "territories"]
DATABASE_CLOCK = re.compile(r"\bNow\(\)|\bnow\(\)|CURRENT_TIMESTAMP|CURRENT_DATE|LOCALTIMESTAMP")


def run_clock_check(moment: str) -> subprocess.CompletedProcess:
    """The check below in a fresh pytest with ``PORTAL_TEST_NOW=moment``."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + [f"{Path(__file__).relative_to(ROOT)}::test_each_test_starts_at_portal_test_now"],
        cwd=ROOT,
        env={**os.environ, "PORTAL_TEST_NOW": moment},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("repeat", [1, 2])
def test_each_test_starts_at_portal_test_now(repeat):
    text = os.environ.get("PORTAL_TEST_NOW")
    if not text:
        return  # the clock is the real one
    moment = datetime.fromisoformat(text)
    # Both runs start there, however long the suite has run; then the clock moves on.
    assert moment <= timezone.now() < moment + timedelta(seconds=5)


def test_the_variable_moves_the_suite_to_its_moment():
    result = run_clock_check("2027-03-28T01:59:30+01:00")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


@pytest.mark.parametrize(
    ("moment", "says"),
    [("2026-12-04 20:20", "needs its UTC offset"), ("Friday evening", "not an ISO 8601 moment")],
)
def test_a_moment_it_cannot_read_stops_the_run_with_a_clear_message(monkeypatch, moment, says):
    monkeypatch.setenv("PORTAL_TEST_NOW", moment)
    with pytest.raises(pytest.UsageError, match=says):  # pytest stops: exit status 4
        conftest._test_now()


def test_the_product_never_asks_the_database_for_the_time():
    """PostgreSQL's now() does not travel with time-machine: a query that compared it
    with Python's clock would pass or fail by the day CI runs."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DATABASE_CLOCK.search(line) and "timezone.now()" not in line
    ]
    assert found == []


@pytest.mark.parametrize("leaves_behind", ["nl", "de", "en"])
def test_every_test_starts_in_the_default_language(leaves_behind, settings):
    """Each case finds the default language and leaves another one active; in any order
    (the suite runs in random order) the next case must not see it."""
    assert translation.get_language() == settings.LANGUAGE_CODE
    translation.activate(leaves_behind)
