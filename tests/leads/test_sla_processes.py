"""Two sweeps in two real processes at the same moment, on PostgreSQL: every reminder,
recycle and claim expiry happens exactly once (``FOR UPDATE SKIP LOCKED``)."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from dealers.services import claim_submit
from leads.models import Assignment, Lead, LeadEvent, SweepRun
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from leads.services.sla import sla_sweep
from portal.users.models import Notification, Role
from tests.factories import DealerFactory, DealerMemberFactory, territory_with

# Leads are routed among three dealers only, so the test needs no rows from data
# migrations (the pool queue, role groups) that an earlier transactional test flushed.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)
THURSDAY = MONDAY + timedelta(days=3)
SWEEP_AT = MONDAY + timedelta(days=7)  # day 5 for Monday's leads, day 2 for Thursday's

# Connects, says it is ready, waits for "go" on stdin, then runs the command.
CHILD = """
import os, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
django.setup()
from django.core.management import call_command
from django.db import connection
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()
call_command("sla_sweep", "--now", sys.argv[1], "--batch-size", "3")
"""


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}{port}/{db['NAME']}"


def lead(number: int, now: datetime) -> Lead:
    data = clean_lead_fields(
        {
            "company_name": f"Prospect {number} B.V.",
            "country": "NL",
            "postcode": "3011",
            "contact_email": f"buyer{number}@prospect{number}.example",
        }
    )
    return lead_intake(data=data, source="api", now=now).lead


def test_two_processes_sweeping_at_once_act_exactly_once():
    dealers = [DealerFactory() for _ in range(3)]
    admins = [DealerMemberFactory(dealer=d, role=Role.DEALER_ADMIN).user for d in dealers]
    for dealer in dealers:
        DealerMemberFactory(dealer=dealer)
    territory_with(name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(d, 1) for d in dealers])
    to_recycle = [lead(n, MONDAY).pk for n in range(30)]
    to_remind = [lead(n, THURSDAY).pk for n in range(30, 90)]
    for n in range(12):
        claim_submit(
            dealer=dealers[0],
            submitted_by=admins[0],
            data={"company_name": f"Claimed {n} GmbH", "country": "DE"},
            now=SWEEP_AT - timedelta(days=90),
        )
    claim_notes_before = Notification.objects.filter(kind=Notification.Kind.CLAIM).count()

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": "",
        "EMAIL_URL": "memorymail://",
    }
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, SWEEP_AT.isoformat()],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
    for child in children:  # both start sweeping at the same moment
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        _out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err

    runs = list(SweepRun.objects.all())
    assert len(runs) == 2
    assert sum(r.recycles for r in runs) == 30
    assert sum(r.reminders for r in runs) == 60
    assert sum(r.claim_expiries for r in runs) == 12
    assert all(r.recycles + r.reminders + r.claim_expiries > 0 for r in runs), [
        (r.recycles, r.reminders, r.claim_expiries) for r in runs
    ]
    # Each recycled lead: one recycle event, two stints, a new dealer.
    per_lead = dict(
        LeadEvent.objects.filter(kind=LeadEvent.Kind.RECYCLED)
        .values_list("lead")
        .annotate(n=Count("id"))
    )
    assert per_lead == dict.fromkeys(to_recycle, 1)
    assert Assignment.objects.filter(lead__in=to_recycle).count() == 60
    assert Assignment.objects.filter(end_reason=Assignment.EndReason.RECYCLED).count() == 30
    # Each reminded lead: one reminder event, two notifications (its dealer's people).
    per_lead = dict(
        LeadEvent.objects.filter(kind=LeadEvent.Kind.REMINDER)
        .values_list("lead")
        .annotate(n=Count("id"))
    )
    assert per_lead == dict.fromkeys(to_remind, 1)
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 120
    claim_notes = Notification.objects.filter(kind=Notification.Kind.CLAIM).count()
    assert claim_notes == claim_notes_before + 12 * 2
    # Every notification was e-mailed once, by one of the two processes.
    assert not Notification.objects.filter(send_email=True, emailed_at__isnull=True).exists()

    again = sla_sweep(now=SWEEP_AT)
    assert (again.recycles, again.reminders, again.claim_expiries) == (0, 0, 0)
