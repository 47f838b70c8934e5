"""Run the periodic tasks of the Celery beat schedule in a loop, in this process.

For the zero-setup demo (no Redis, no worker, no beat): the same schedule that beat
runs in production (``CELERY_BEAT_SCHEDULE``) drives this loop, so reminders,
escalations, recycles and e-mails happen while someone is trying the portal. The
sweeps claim their rows in the database, so running this beside a real beat does no
harm: nothing fires twice.
"""

import signal
import time

from celery import current_app
from celery.schedules import crontab
from celery.schedules import schedule as interval_schedule
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone


class Command(BaseCommand):
    help = "Run the beat schedule's periodic tasks in-process (demo mode without a broker)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every task once and stop.")
        parser.add_argument("--tick", type=float, default=5.0, help="Seconds between checks.")

    def handle(self, *args, once: bool, tick: float, **options):
        self._stop = False
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        current_app.loader.import_default_modules()  # register the tasks (autodiscovery)
        entries = {}
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            every = entry["schedule"]
            if not hasattr(every, "is_due"):
                every = interval_schedule(every)
            entries[name] = (entry["task"], every)
        # Interval tasks run at start; calendar tasks (the daily digest) wait for their time.
        started = timezone.now()
        last_run = {
            name: (started if isinstance(every, crontab) else None)
            for name, (_task, every) in entries.items()
        }
        self.stdout.write(f"Timer loop: {', '.join(entries)}")
        while not self._stop:
            for name, (task_name, every) in entries.items():
                previous = last_run[name]
                if previous is not None and not every.is_due(previous).is_due:
                    continue
                last_run[name] = timezone.now()
                self._run(task_name)
            if once:
                break
            time.sleep(tick)

    def _run(self, task_name: str) -> None:
        task = current_app.tasks.get(task_name)
        if task is None:
            self.stderr.write(f"Timer loop: no task {task_name} is registered; skipped.")
            return
        try:
            result = task.apply().get(propagate=True)
        except Exception as error:  # keep the loop alive, report like a worker would
            self.stderr.write(f"Timer loop: {task_name} failed: {error!r}")
            return
        if result:
            self.stdout.write(f"{timezone.localtime():%H:%M:%S} {task_name}: {result}")

    def _request_stop(self, *args):
        self._stop = True
