"""Run the SLA sweep once, or replay a period of time sweep by sweep.

    manage.py sla_sweep                                  # now, like the beat task
    manage.py sla_sweep --now 2026-03-02T09:00           # as if it were that moment
    manage.py sla_sweep --now 2026-03-02T08:00 --until 2026-03-09T18:00 --step 30
                                                         # a week in 30-minute sweeps

Each sweep acts on the clocks due at its moment, exactly like the periodic task, so a
replay shows reminders, escalations and recycles happen in order (a lead recycled on
Tuesday reminds its next dealer on Thursday). A moment without a zone is local time
(``TIME_ZONE``).
"""

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leads.services import sla


def moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            f"Not a date and time: {text!r}. Use ISO 8601, e.g. 2026-03-02T09:00 or "
            "2026-03-02T09:00+01:00."
        ) from error
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class Command(BaseCommand):
    help = "Act on every SLA clock that ran out (reminders, escalations, recycles, claims)."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=moment, help="Sweep as of this moment (ISO 8601).")
        parser.add_argument(
            "--until", type=moment, help="Replay: sweep from --now until this moment."
        )
        parser.add_argument(
            "--step", type=int, default=15, help="Replay: minutes between sweeps (default 15)."
        )
        parser.add_argument("--batch-size", type=int, default=sla.BATCH)

    def handle(self, *args, now, until, step, batch_size, **options):
        if step < 1 or batch_size < 1:
            raise CommandError("--step and --batch-size must be at least 1.")
        start = now or timezone.now()
        if until is not None and until < start:
            raise CommandError("--until must not be before --now.")
        moments = [start]
        while until is not None and moments[-1] + timedelta(minutes=step) <= until:
            moments.append(moments[-1] + timedelta(minutes=step))
        totals = dict.fromkeys(
            ["reminders", "escalations", "recycles", "claim reminders", "claim expiries"], 0
        )
        for at in moments:
            run = sla.sla_sweep(now=at, batch_size=batch_size)
            summary = sla.sweep_summary(run)
            totals["reminders"] += run.reminders
            totals["escalations"] += run.escalations
            totals["recycles"] += run.recycles
            totals["claim reminders"] += run.claim_reminders
            totals["claim expiries"] += run.claim_expiries
            if summary or len(moments) == 1:
                self.stdout.write(
                    f"{timezone.localtime(at):%a %Y-%m-%d %H:%M}  {summary or 'nothing due'}"
                )
        if len(moments) > 1:
            self.stdout.write(
                f"{len(moments)} sweeps: " + ", ".join(f"{n} {k}" for k, n in totals.items())
            )
