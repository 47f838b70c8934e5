"""Show every dealer's computed performance weight, end expired overrides, and with
``--apply`` store the computed weights (audited, as from the allocation page).

    manage.py recompute_weights                  # what the scorecards say today
    manage.py recompute_weights --apply          # store them (actor: none, "performance")
    manage.py recompute_weights --now 2026-03-31T18:00

The allocation page previews the effect on routing before applying; this command is for
scripts and for the periodic end of expired overrides (``dealers.tasks``).
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dealers import allocation


def moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            f"Not a date and time: {text!r}. Use ISO 8601, e.g. 2026-03-31T18:00."
        ) from error
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class Command(BaseCommand):
    help = "Compute every dealer's performance weight; --apply stores the new ones."

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Store the computed weights.")
        parser.add_argument("--now", type=moment, help="As of this moment (ISO 8601).")

    def handle(self, *args, apply: bool, now: datetime | None, **options):
        now = now or timezone.now()
        for change in allocation.overrides_end_expired(now=now):
            self.stdout.write(f"override ended: {change.dealer.name} ({change.old_weight})")
        weights = allocation.weights_compute(now=now)
        self.stdout.write(
            f"{'dealer':<40} {'settled':>7} {'follow-up':>9} {'conv.':>6} "
            f"{'stored':>6} {'computed':>8}  override"
        )
        for w in weights:
            follow_up = "—" if w.inputs.follow_up is None else f"{w.inputs.follow_up:.0%}"
            if w.inputs.awaiting_follow_up:
                follow_up = "no data"
            conversion = "—" if w.inputs.conversion is None else f"{w.inputs.conversion:.0%}"
            override = ""
            if w.override_active:
                override = f"{w.dealer.weight_override} until {w.dealer.weight_override_until}"
            mark = "*" if w.changes else " "
            self.stdout.write(
                f"{w.dealer.name[:40]:<40} {w.inputs.settled:>7} {follow_up:>9} "
                f"{conversion:>6} {w.current:>6} {w.computed:>7}{mark}  {override}"
            )
        changing = sum(1 for w in weights if w.changes)
        if not apply:
            self.stdout.write(f"{changing} weight(s) would change (*); run with --apply to store.")
            return
        changes = allocation.weights_apply(actor=None, now=now)
        self.stdout.write(self.style.SUCCESS(f"{len(changes)} weight(s) stored."))
