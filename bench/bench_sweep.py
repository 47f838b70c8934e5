"""Benchmark of the SLA sweep against a raw set-based SQL baseline, on PostgreSQL.

Run from the project root against a database of its own (it fills it)::

    createdb -h 127.0.0.1 -U postgres portal_bench
    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench \\
        .venv/bin/python bench/bench_sweep.py [--leads 1000000] [--due 10000] [--rounds 5]

1. Builds (once; ``--rebuild`` to start over) 40 dealers with 3 people each, 10 internal
   reps with a manager, and ``--leads`` open leads with running clocks, inserted by one
   ``INSERT … SELECT generate_series`` statement.
2. Each round makes ``--due`` of them due: 80 % dealer reminders, 10 % reminders and
   10 % escalations of internal reps. Then it times, in the same run and on the same
   rows, (a) ``leads.services.sla.sla_sweep`` (batches of 1,000: claim with
   ``UPDATE … RETURNING``, bulk-insert the events and notification rows, queue the
   delivery after commit, record the sweep) and (b) the baseline: one raw SQL
   statement per clock that claims the rows, inserts the same events and the same
   notification rows (``WITH claimed AS (UPDATE … RETURNING) INSERT … SELECT``), all in
   one transaction. Both write the same number of rows (checked). The order of (a)
   and (b) alternates between rounds; the figure is the median. Goal: the sweep within
   2x the baseline.
3. Recycles go through the one door lead by lead (routing, stints, permissions,
   notifications); their throughput is printed separately.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from dealers.models import Dealer, DealerMembership  # noqa: E402
from leads.models import Assignment, Lead, LeadEvent, SweepRun  # noqa: E402
from leads.services import sla  # noqa: E402
from portal.celery import app as celery_app  # noqa: E402
from portal.users.models import Notification, Role, StaffProfile, User  # noqa: E402

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=AMS)  # a Wednesday
DEALERS, MEMBERS, REPS = 40, 3, 10
OPEN = "('new','accepted','contacted','meeting','proposal')"


def say(text: str) -> None:
    print(text, flush=True)


def sql(statement: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})
        return cursor.rowcount


def scalar(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})
        return cursor.fetchone()[0]


# --- the world ----------------------------------------------------------------------


def build(leads: int) -> None:
    say(f"Building {leads:,} open leads …")
    started = time.perf_counter()
    sql(
        "TRUNCATE leads_lead, leads_leadevent, leads_assignment, users_notification, "
        "leads_sweeprun, leads_leadgroupobjectpermission, leads_leaduserobjectpermission, "
        "dealers_dealermembership, users_staffprofile RESTART IDENTITY CASCADE"
    )
    User.objects.filter(email__endswith="@bench.example").delete()
    Dealer.objects.filter(slug__startswith="bench-").delete()
    with transaction.atomic():
        for d in range(DEALERS):
            dealer = Dealer.objects.create(
                name=f"Bench Dealer {d}", slug=f"bench-{d}", contact_email=f"d{d}@bench.example"
            )
            for m in range(MEMBERS):
                user = User.objects.create_user(
                    email=f"d{d}m{m}@bench.example", name=f"Dealer {d} person {m}"
                )
                DealerMembership.objects.create(
                    user=user, dealer=dealer, role=Role.DEALER_USER if m else Role.DEALER_ADMIN
                )
        manager = User.objects.create_user(email="manager@bench.example", name="Sales Manager")
        StaffProfile.objects.create(user=manager, role=Role.SALES_MANAGER)
        for r in range(REPS):
            rep = User.objects.create_user(email=f"rep{r}@bench.example", name=f"Rep {r}")
            StaffProfile.objects.create(user=rep, role=Role.INTERNAL_SALES, manager=manager)
    dealer_ids = list(Dealer.objects.filter(slug__startswith="bench-").values_list("pk", flat=True))
    rep_ids = list(
        User.objects.filter(email__startswith="rep", email__endswith="@bench.example").values_list(
            "pk", flat=True
        )
    )
    # 80 % dealer leads (reminder and recycle clocks), 20 % internal reps (reminder and
    # escalation); every clock still running, 1 to 100 hours ahead.
    sql(
        f"""
        INSERT INTO leads_lead (
            company_name, company_normalized, website, website_domain, email_domain,
            vat_number, coc_number, country, postcode, postcode_number, city, sector,
            contact_name, contact_email, contact_phone, contact_role, message, language,
            temperature, qualification, sales_ready, source, external_id, status,
            status_changed_at, next_step, close_reason, close_note, assigned_at,
            routing_rule, routing_reason, routing_candidates, first_update_due_at,
            reminder_due_at, escalation_due_at, recycle_due_at, created_at, updated_at,
            owner_dealer_id, owner_user_id)
        SELECT 'Bench Company ' || n || ' B.V.', 'bench company ' || n, '', '',
            'company' || n || '.example', '', '', 'NL', '3011', 3011, 'Rotterdam', '',
            'Contact ' || n, 'buyer@company' || n || '.example', '', '', '', 'nl',
            'cold', '{{}}', true, 'api', '', 'new', %(at)s, '', '', '', %(at)s,
            'territory', '{{}}', '[]', due, due,
            CASE WHEN dealer THEN NULL ELSE due + interval '1 day' END,
            CASE WHEN dealer THEN due + interval '3 days' ELSE NULL END,
            %(at)s, %(at)s,
            CASE WHEN dealer THEN (%(dealers)s::bigint[])[1 + n %% {DEALERS}] END,
            CASE WHEN NOT dealer THEN (%(reps)s::bigint[])[1 + n %% {REPS}] END
        FROM (
            SELECT n, n %% 5 <> 0 AS dealer,
                   %(now)s + (1 + n %% 100) * interval '1 hour' AS due
            FROM generate_series(1, %(leads)s) AS n
        ) AS g
        """,
        {
            "at": NOW - timedelta(hours=2),
            "now": NOW,
            "leads": leads,
            "dealers": dealer_ids,
            "reps": rep_ids,
        },
    )
    sql("VACUUM ANALYZE leads_lead")
    say(f"  built in {time.perf_counter() - started:.1f} s")


def arm(due: int, round_: int) -> dict:
    """Make ``due`` leads due at NOW (the same rows for both contenders of a round)."""
    total = scalar("SELECT max(id) FROM leads_lead")
    step = total // due
    ids = [1 + round_ + i * step + i % 5 for i in range(due)]  # every fifth: a rep's
    dealer_owned = dict(Lead.objects.filter(pk__in=ids).values_list("pk", "owner_dealer_id"))
    dealer = [i for i in ids if dealer_owned[i]]
    rep = [i for i in ids if not dealer_owned[i]]
    rep_reminders, rep_escalations = rep[: len(rep) // 2], rep[len(rep) // 2 :]
    sql(
        "UPDATE leads_lead SET reminder_due_at = %(due)s WHERE id = ANY(%(ids)s)",
        {"due": NOW - timedelta(minutes=5), "ids": dealer + rep_reminders},
    )
    sql(
        "UPDATE leads_lead SET escalation_due_at = %(due)s WHERE id = ANY(%(ids)s)",
        {"due": NOW - timedelta(minutes=5), "ids": rep_escalations},
    )
    return {"ids": ids, "reminders": dealer + rep_reminders, "escalations": rep_escalations}


def disarm(rows: dict) -> None:
    """Put the clocks back in the future after a round."""
    sql(
        "UPDATE leads_lead SET reminder_due_at = %(due)s WHERE id = ANY(%(ids)s)",
        {"due": NOW + timedelta(days=30), "ids": rows["reminders"]},
    )
    sql(
        "UPDATE leads_lead SET escalation_due_at = %(due)s WHERE id = ANY(%(ids)s)",
        {"due": NOW + timedelta(days=30), "ids": rows["escalations"]},
    )


def written() -> tuple[int, int]:
    return LeadEvent.objects.count(), Notification.objects.count()


# --- the contenders -----------------------------------------------------------------


def run_sweep() -> float:
    started = time.perf_counter()
    sla.sla_sweep(now=NOW, batch_size=1000)
    return time.perf_counter() - started


WHEN = "to_char({0} AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD HH24:MI')"

BASELINE_REMINDERS = f"""
WITH claimed AS (
    UPDATE leads_lead SET reminder_due_at = NULL
    WHERE id IN (SELECT id FROM leads_lead WHERE reminder_due_at <= %(now)s
                 ORDER BY reminder_due_at FOR UPDATE SKIP LOCKED)
    RETURNING id, status, owner_dealer_id, owner_user_id, company_name, assigned_at,
              first_update_due_at, escalation_due_at, recycle_due_at
), due AS (
    SELECT c.*, d.name AS dealer_name, u.name AS user_name
    FROM claimed c
    LEFT JOIN dealers_dealer d ON d.id = c.owner_dealer_id
    LEFT JOIN users_user u ON u.id = c.owner_user_id
    WHERE c.status IN {OPEN}
), events AS (
    INSERT INTO leads_leadevent (lead_id, kind, at, to_owner, reason, data)
    SELECT id, 'reminder', %(now)s,
        CASE WHEN owner_dealer_id IS NOT NULL
             THEN jsonb_build_object('kind', 'dealer', 'id', owner_dealer_id, 'name', dealer_name)
             ELSE jsonb_build_object('kind', 'user', 'id', owner_user_id, 'name', user_name) END,
        CASE WHEN owner_dealer_id IS NOT NULL
             THEN jsonb_build_object('msgid', 'No status update within %%(days)s working days.',
                                     'params', jsonb_build_object('days', 2))
             ELSE jsonb_build_object('msgid', 'No action since the lead was assigned on %%(assigned)s.',
                                     'params', jsonb_build_object('assigned', {WHEN.format("assigned_at")})) END,
        jsonb_build_object('due', first_update_due_at)
    FROM due
), recipients AS (
    SELECT due.*, m.user_id AS recipient_id FROM due
    JOIN dealers_dealermembership m ON m.dealer_id = due.owner_dealer_id
    JOIN users_user mu ON mu.id = m.user_id AND mu.is_active
    UNION ALL
    SELECT due.*, due.owner_user_id FROM due WHERE due.owner_user_id IS NOT NULL
)
INSERT INTO users_notification (recipient_id, kind, subject, body, url, lead_id, created_at,
                                send_email)
SELECT r.recipient_id, 'reminder',
    jsonb_build_object('msgid', 'Reminder: %%(company)s is waiting for your first update',
                       'params', jsonb_build_object('company', r.company_name)),
    jsonb_build_object('parts', jsonb_build_array(
        CASE WHEN r.owner_dealer_id IS NOT NULL
             THEN jsonb_build_object('msgid', 'No status update within %%(days)s working days.',
                                     'params', jsonb_build_object('days', 2))
             ELSE jsonb_build_object('msgid', 'No action since the lead was assigned on %%(assigned)s.',
                                     'params', jsonb_build_object('assigned', {WHEN.format("r.assigned_at")})) END,
        CASE WHEN r.owner_dealer_id IS NOT NULL
             THEN jsonb_build_object('msgid', 'Accept or reject it and give a status update; without one it goes to another dealer on %%(recycle)s.',
                                     'params', jsonb_build_object('recycle', {WHEN.format("r.recycle_due_at")}))
             ELSE jsonb_build_object('msgid', 'Contact the prospect and log it; your manager is alerted on %%(escalation)s.',
                                     'params', jsonb_build_object('escalation', {WHEN.format("r.escalation_due_at")})) END)),
    '/leads/' || r.id || '/', r.id, now(), u.email_frequency = 'immediate'
FROM recipients r JOIN users_user u ON u.id = r.recipient_id
"""

BASELINE_ESCALATIONS = f"""
WITH claimed AS (
    UPDATE leads_lead SET escalation_due_at = NULL
    WHERE id IN (SELECT id FROM leads_lead WHERE escalation_due_at <= %(now)s
                 ORDER BY escalation_due_at FOR UPDATE SKIP LOCKED)
    RETURNING id, status, owner_user_id, company_name, assigned_at
), due AS (
    SELECT c.*, u.name AS user_name,
           coalesce(
               (SELECT array_agg(p.manager_id) FROM users_staffprofile p
                JOIN users_user pm ON pm.id = p.manager_id AND pm.is_active
                WHERE p.user_id = c.owner_user_id),
               (SELECT array_agg(s.user_id) FROM users_staffprofile s
                JOIN users_user su ON su.id = s.user_id AND su.is_active
                WHERE s.role = 'sales_manager')) AS managers
    FROM claimed c JOIN users_user u ON u.id = c.owner_user_id
    WHERE c.status IN {OPEN}
), events AS (
    INSERT INTO leads_leadevent (lead_id, kind, at, to_owner, reason, data)
    SELECT id, 'escalation', %(now)s,
        jsonb_build_object('kind', 'user', 'id', owner_user_id, 'name', user_name),
        jsonb_build_object('msgid', 'No action by %%(owner)s since the lead was assigned on %%(at)s.',
                           'params', jsonb_build_object('owner', user_name, 'at', {WHEN.format("assigned_at")})),
        jsonb_build_object('stage', 'no_action', 'notified', to_jsonb(managers))
    FROM due
)
INSERT INTO users_notification (recipient_id, kind, subject, body, url, lead_id, created_at,
                                send_email)
SELECT m.manager, 'escalation',
    jsonb_build_object('msgid', 'Escalation: %%(company)s needs attention',
                       'params', jsonb_build_object('company', d.company_name)),
    jsonb_build_object('parts', jsonb_build_array(
        jsonb_build_object('msgid', 'No action by %%(owner)s since the lead was assigned on %%(at)s.',
                           'params', jsonb_build_object('owner', d.user_name, 'at', {WHEN.format("d.assigned_at")})),
        jsonb_build_object('msgid', 'Check with %%(owner)s or reassign the lead.',
                           'params', jsonb_build_object('owner', d.user_name)))),
    '/leads/' || d.id || '/', d.id, now(), u.email_frequency = 'immediate'
FROM due d CROSS JOIN LATERAL unnest(d.managers) AS m(manager)
JOIN users_user u ON u.id = m.manager
"""


def run_baseline() -> float:
    started = time.perf_counter()
    with transaction.atomic():
        sql(BASELINE_REMINDERS, {"now": NOW})
        sql(BASELINE_ESCALATIONS, {"now": NOW})
    return time.perf_counter() - started


# --- recycles -------------------------------------------------------------------------


def recycles(count: int) -> tuple[int, float]:
    """Make ``count`` dealer leads overdue for recycling and time the sweep."""
    ids = list(
        Lead.objects.filter(owner_dealer__isnull=False, status="new")
        .order_by("-id")
        .values_list("pk", flat=True)[:count]
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                lead_id=pk,
                owner_dealer_id=dealer_id,
                rule="territory",
                started_at=NOW - timedelta(days=8),
            )
            for pk, dealer_id in Lead.objects.filter(pk__in=ids).values_list(
                "pk", "owner_dealer_id"
            )
        ],
        ignore_conflicts=True,
    )
    Lead.objects.filter(pk__in=ids).update(recycle_due_at=NOW - timedelta(minutes=5))
    started = time.perf_counter()
    run = sla.sla_sweep(now=NOW)
    return run.recycles, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--recycles", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this benchmark on PostgreSQL: set DATABASE_URL=postgres://…/<bench db>.")
    # Delivery is queued after commit as in production; the in-memory broker keeps the
    # benchmark about the database work (the e-mails themselves are not timed).
    celery_app.conf.task_always_eager = False
    call_command("migrate", verbosity=0)
    if args.rebuild or Lead.objects.filter(status="new").count() != args.leads:
        build(args.leads)
    say(
        f"{Lead.objects.filter(status__in=Lead.OPEN_STATUSES).count():,} open leads; "
        f"{args.due:,} due per round (80 % dealer reminders, 10 % rep reminders, "
        f"10 % escalations); {DEALERS} dealers × {MEMBERS} people"
    )
    times = {"sweep": [], "baseline": []}
    for round_ in range(args.rounds):
        order = ("sweep", "baseline") if round_ % 2 == 0 else ("baseline", "sweep")
        line = []
        for contender in order:
            rows = arm(args.due, round_)
            sql("CHECKPOINT")
            before = written()
            elapsed = run_sweep() if contender == "sweep" else run_baseline()
            after = written()
            events, notifications = after[0] - before[0], after[1] - before[1]
            left = Lead.objects.filter(reminder_due_at__lte=NOW).count()
            left += Lead.objects.filter(escalation_due_at__lte=NOW).count()
            assert left == 0, f"{contender} left {left} due rows"
            times[contender].append(elapsed)
            line.append(
                f"{contender} {elapsed:.2f} s ({events:,} events, {notifications:,} notifications)"
            )
            disarm(rows)
        say(f"  round {round_ + 1}: " + "; ".join(line))
    sweep, baseline = statistics.median(times["sweep"]), statistics.median(times["baseline"])
    say(
        f"median: sweep {sweep:.2f} s, raw SQL baseline {baseline:.2f} s, "
        f"ratio {sweep / baseline:.2f}x (goal ≤ 2x)"
    )
    best_sweep, best_baseline = min(times["sweep"]), min(times["baseline"])
    say(
        f"best:   sweep {best_sweep:.2f} s, raw SQL baseline {best_baseline:.2f} s, "
        f"ratio {best_sweep / best_baseline:.2f}x (shown beside it; the goal is judged on the median)"
    )
    if args.recycles:
        count, elapsed = recycles(args.recycles)
        say(f"recycles through the one door: {count} in {elapsed:.2f} s ({count / elapsed:.0f}/s)")
    SweepRun.objects.all().delete()


if __name__ == "__main__":
    main()
