"""``manage.py seed_demo``: the realistic demo data set, and the large one for benchmarks.

    manage.py seed_demo                       # ~40 dealers, ~2,000 accounts, ~100 claims, ~5,000 leads
    manage.py seed_demo --leads 1000000       # the benchmark set (bulk inserts, minutes)

Idempotent: what exists is kept, and only what is missing is added, so a second run
changes nothing. Prints the demo logins at the end.
"""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from leads.demo import history, reference


class Command(BaseCommand):
    help = "Create (or complete) the demo data set and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=2000)
        parser.add_argument("--claims", type=int, default=100)
        parser.add_argument("--leads", type=int, default=5000)
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args, accounts: int, claims: int, leads: int, quiet_logins: bool, **options):
        started = time.monotonic()
        now = timezone.now()
        built = reference.build_reference(now=now)
        staff, dealers = built["staff"], built["dealers"]
        added_accounts = history.build_accounts(
            count=accounts, staff=staff, dealers=dealers, now=now
        )
        added_claims = history.build_claims(count=claims, staff=staff, dealers=dealers, now=now)
        added_leads = history.build_leads(count=leads, staff=staff, now=now, stdout=self.stdout)
        if added_leads:
            history.make_timers_due(now=now)
        history.build_webhooks(staff=staff, dealers=dealers, now=now)
        if added_accounts or added_claims or added_leads:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data: +{added_accounts:,} accounts, +{added_claims:,} claims, "
                    f"+{added_leads:,} leads in {history.since(started)}"
                )
            )
        else:
            self.stdout.write("Demo data is already complete; nothing added.")
        if not quiet_logins:
            self._print_logins(reference.demo_logins(staff, dealers))

    def _print_logins(self, logins):
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(f"Demo logins (password for all: {reference.DEMO_PASSWORD})")
        )
        width = max(len(login.role) for login in logins)
        for login in logins:
            note = f"  ({login.note})" if login.note else ""
            self.stdout.write(f"  {login.role:<{width}}  {login.email}{note}")
        self.stdout.write("")
