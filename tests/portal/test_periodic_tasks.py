"""Every periodic task is in ``CELERY_BEAT_SCHEDULE``, the one list that Celery beat
(production) and the demo's timer loop (``manage.py run_timers``) both run. Every other
task of ours is named here with who queues it, so a new task is either scheduled or
triggered on purpose, never forgotten (``end_expired_weight_overrides`` once was)."""

from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command

from dealers import allocation
from dealers.models import Dealer, WeightChange
from portal.celery import app
from portal.users.models import Role
from tests.factories import DealerFactory, StaffFactory

APPS = ("portal", "dealers", "leads", "territories")

# Tasks queued by the code when something happens, never by the clock.
TRIGGERED_ONLY = {
    "leads.tasks.confirm_receipt": "queued by the intake for an inquiry outside working hours",
    "leads.imports.tasks.run_import": "queued when a CSV file is uploaded",
    "portal.users.tasks.deliver_notifications": "queued after commit with the new rows",
}


def our_tasks() -> set[str]:
    app.loader.import_default_modules()  # what a worker registers (autodiscovery)
    return {name for name in app.tasks if name.split(".")[0] in APPS}


def scheduled() -> dict[str, str]:
    return {entry["task"]: name for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}


def test_every_task_is_scheduled_or_triggered_on_purpose():
    tasks, periodic = our_tasks(), scheduled()
    assert tasks - set(periodic) - set(TRIGGERED_ONLY) == set(), (
        "a task is neither in CELERY_BEAT_SCHEDULE nor queued on purpose (TRIGGERED_ONLY)"
    )
    assert set(periodic) <= tasks, "a schedule entry names no registered task"
    assert set(TRIGGERED_ONLY) <= tasks and not set(TRIGGERED_ONLY) & set(periodic)


@pytest.mark.parametrize(
    "task",
    [
        "leads.tasks.sla_sweep",  # reminders, escalations, recycles, claim expiry
        "portal.users.tasks.deliver_pending_notifications",  # the e-mail outbox
        "leads.imports.tasks.run_pending_imports",  # uploads whose task never ran
        "portal.users.tasks.send_daily_digests",
        "dealers.tasks.end_expired_weight_overrides",
    ],
)
def test_the_periodic_tasks_are_scheduled(task):
    assert task in scheduled()


def test_expired_weight_overrides_end_every_night():
    entry = settings.CELERY_BEAT_SCHEDULE[scheduled()["dealers.tasks.end_expired_weight_overrides"]]
    every = entry["schedule"]
    assert isinstance(every, crontab)
    assert (every.hour, every.minute) == ({0}, {5})


@pytest.mark.django_db
def test_the_nightly_task_ends_the_overrides_whose_end_date_passed():
    dealer = DealerFactory()
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    ams = ZoneInfo("Europe/Amsterdam")
    with time_machine.travel(datetime(2026, 12, 4, 20, 20, tzinfo=ams), tick=False):
        allocation.weight_override_set(
            dealer=dealer,
            actor=manager,
            weight="1.5",
            until=datetime(2026, 12, 4, tzinfo=ams).date(),
            reason="Campaign",
        )
    assert "dealers.tasks.end_expired_weight_overrides" in our_tasks()
    task = app.tasks["dealers.tasks.end_expired_weight_overrides"]  # as beat calls it
    with time_machine.travel(datetime(2026, 12, 5, 0, 5, tzinfo=ams), tick=False):
        assert task.apply().get() == 1
        assert task.apply().get() == 0
    dealer.refresh_from_db()
    assert dealer.weight_override is None
    ended = WeightChange.objects.get(kind=WeightChange.Kind.OVERRIDE_ENDED)
    assert (ended.dealer, ended.old_weight, ended.actor) == (dealer, Decimal("1.50"), None)
    assert Dealer.objects.get(pk=dealer.pk).performance_weight == Decimal("1.00")


@pytest.mark.django_db
def test_the_demo_timer_loop_runs_the_beat_schedule():
    out, err = StringIO(), StringIO()
    with time_machine.travel(datetime(2026, 12, 4, 20, 20, tzinfo=ZoneInfo("Europe/Amsterdam"))):
        call_command("run_timers", "--once", stdout=out, stderr=err)
    first_line = out.getvalue().splitlines()[0]
    assert first_line == f"Timer loop: {', '.join(settings.CELERY_BEAT_SCHEDULE)}"
    assert err.getvalue() == ""  # every task was found and none failed
    assert timedelta(minutes=1) in [e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()]


@pytest.mark.django_db
def test_the_nightly_task_deletes_the_sessions_that_ended():
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from portal.users.tasks import clear_expired_sessions

    ended, live = SessionStore(), SessionStore()
    for session, expiry in ((ended, -60), (live, 3600)):
        session["x"] = 1
        session.set_expiry(timezone.now() + timedelta(seconds=expiry))
        session.save()

    assert clear_expired_sessions.apply().get() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
