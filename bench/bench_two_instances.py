"""More than one machine: two gunicorn instances and two Celery workers on one PostgreSQL.

    .venv/bin/python bench/bench_two_instances.py [--leads 3000] [--clients 8] [--overdue 600]

Resets the database ``portal_bench_two`` (BENCH_DATABASE_URL; its name must contain
"bench", since it is dropped), creates one territory (NL 3000-3099) shared by three
dealers with weights 2:1:1 and nothing else that could take a lead, starts two gunicorn
instances (ports 8771 and 8772, 2 sync workers each) and two Celery workers (each with a
queue of its own besides the shared one) against it and Redis (BENCH_REDIS_URL, db 11),
then:

1. posts ``--leads`` unique leads for that territory, the client processes alternating
   between the two instances, all at once;
2. checks that every lead was created once and has exactly one open ownership stint, and
   that the 2:1:1 split is exact: every dealer within 1 per 1,000 leads of its share;
3. puts the recycle deadline of ``--overdue`` leads in the past and sends the SLA sweep
   to both workers at the same moment; checks that each overdue lead was recycled once
   (one recycled stint, one new stint with another dealer), never twice.

Prints the figures and PASS or FAIL per check; exits 1 when a check fails.
"""

import argparse
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from multiprocessing import Pool

from _setup import ROOT, BenchRedis, database_url, django_setup, ensure_database, manage

PORTS = (8771, 8772)
WEIGHTS = (2, 1, 1)
VENV = ROOT / ".venv" / "bin"


def _post(args):
    port, payloads, headers = args
    statuses, refused = [], ""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for body in payloads:
        conn.request("POST", "/api/v1/leads/", body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read()
        statuses.append(response.status)
        if response.status >= 400 and not refused:
            refused = answer.decode(errors="replace")[:300]
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.close()
    return statuses, refused


def _started(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/api/v1/leads/")
        conn.getresponse().read()
        return True
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """Stop a server as its service manager would: SIGTERM to the main process only (a
    Celery worker's pool children given SIGTERM too die mid-shutdown, with a
    WorkerLostError each), then whatever of its process group is left."""
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def check(label: str, ok: bool, detail: str) -> bool:
    print(f"{'PASS' if ok else 'FAIL'}  {label}: {detail}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--overdue", type=int, default=600)
    args = parser.parse_args()
    url = database_url("portal_bench_two")  # its name must contain "bench": it is dropped
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis,
        "CELERY_BROKER_URL": redis,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "k3Vx" * 16,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "API_INTAKE_RATE": "1000000/min",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    ensure_database(url, fresh=True)
    manage("migrate", "-v", "0")
    broker = BenchRedis(default_db=11)
    if not broker.was_empty:  # the workers would run someone else's queued tasks
        sys.exit(f"{redis} holds keys: point BENCH_REDIS_URL at an empty Redis database")
    django_setup()
    from django.db import connection

    from dealers.models import Dealer
    from leads.models import Assignment, Integration, Lead
    from leads.services.api_keys import api_key_create
    from territories.models import PostcodeRange, Territory, TerritoryOwner

    dealers = [
        Dealer.objects.create(name=f"Dealer {name}", slug=f"dealer-{name}", countries=["NL"])
        for name in ("two", "one-a", "one-b")
    ]
    territory = Territory.objects.create(name="NL 30", country="NL")
    PostcodeRange.objects.create(territory=territory, start=3000, end=3099)
    for dealer, weight in zip(dealers, WEIGHTS, strict=True):
        TerritoryOwner.objects.create(territory=territory, dealer=dealer, weight=weight)
    integration = Integration.objects.create(name="Bench", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="bench", integration=integration)
    connection.close()

    processes = [
        _started(
            [
                str(VENV / "gunicorn"),
                "portal.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            env,
        )
        for port in PORTS
    ]
    processes += [
        _started(
            [
                str(VENV / "celery"),
                "-A",
                "portal",
                "worker",
                "-Q",
                f"celery,{name}",
                "-n",
                f"{name}@bench",
                "-c",
                "1",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env,
        )
        for name in ("w1", "w2")
    ]
    try:
        for _ in range(150):
            if all(_answers(port) for port in PORTS):
                break
            time.sleep(0.2)
        stamp = int(time.time())
        payloads = [
            json.dumps(
                {
                    "external_id": f"two-{stamp}-{i}",
                    "company_name": f"Tweevoud {stamp} {i} B.V.",
                    "country": "NL",
                    "postcode": f"30{i % 100:02d}",
                    "contact_name": "Bea Bench",
                    "contact_email": f"bea@tweevoud-{stamp}-{i}.example",
                    "interest": "demo",
                    "estimated_value": "20000",
                }
            )
            for i in range(args.leads)
        ]
        headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {secret}"}
        chunks = [(PORTS[c % 2], payloads[c :: args.clients], headers) for c in range(args.clients)]
        started = time.perf_counter()
        with Pool(args.clients) as pool:
            answers = pool.map(_post, chunks)
        statuses = [s for part, _refused in answers for s in part]
        seconds = time.perf_counter() - started
        print(
            f"{args.leads} leads through 2 instances × 2 workers, {args.clients} clients: "
            f"{args.leads / seconds:.0f} leads/s; answers {dict(Counter(statuses))}"
        )

        for _statuses, refused in answers:
            if refused:
                print(f"a refused lead: {refused}")
                break
        ok = True
        leads = Lead.objects.filter(external_id__startswith=f"two-{stamp}-")
        created = leads.count()
        ok &= check(
            "every lead created once",
            created == args.leads == statuses.count(201),
            f"{created} leads in the database, {statuses.count(201)} answered 201",
        )
        open_stints = Counter(
            Assignment.objects.filter(lead__in=leads, ended_at__isnull=True).values_list(
                "lead_id", flat=True
            )
        )
        ok &= check(
            "one open stint per lead",
            len(open_stints) == created and set(open_stints.values()) == {1},
            f"{len(open_stints)} leads with an open stint, most stints on one lead "
            f"{max(open_stints.values(), default=0)}",
        )
        split = Counter(leads.values_list("owner_dealer_id", flat=True))
        tolerance = max(1, args.leads // 1000)
        worst = 0.0
        parts = []
        for dealer, weight in zip(dealers, WEIGHTS, strict=True):
            expected = args.leads * weight / sum(WEIGHTS)
            worst = max(worst, abs(split[dealer.pk] - expected))
            parts.append(f"{dealer.name} {split[dealer.pk]} (share {expected:.0f})")
        ok &= check(
            f"2:1:1 split within ±{tolerance}",
            worst <= tolerance,
            "; ".join(parts) + f"; largest deviation {worst:.1f}",
        )

        overdue = list(leads.order_by("pk").values_list("pk", flat=True)[: args.overdue])
        if not overdue:
            raise SystemExit("no leads to make overdue")
        Lead.objects.filter(pk__in=overdue).update(
            recycle_due_at=Lead.objects.get(pk=overdue[0]).created_at
        )
        connection.close()
        from portal.celery import app

        for name in ("w1", "w2"):
            app.send_task("leads.tasks.sla_sweep", queue=name)
        from leads.models import SweepRun

        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if SweepRun.objects.filter(finished_at__isnull=False).count() >= 2:
                break
            time.sleep(0.5)
        runs = list(SweepRun.objects.order_by("pk").values_list("recycles", flat=True))
        recycled = Counter(
            Assignment.objects.filter(
                lead_id__in=overdue, end_reason=Assignment.EndReason.RECYCLED
            ).values_list("lead_id", flat=True)
        )
        stints = Counter(
            Assignment.objects.filter(lead_id__in=overdue).values_list("lead_id", flat=True)
        )
        ok &= check(
            "both workers swept",
            len(runs) >= 2,
            f"sweep runs: {len(runs)}, recycles per run {runs}",
        )
        ok &= check(
            "each overdue lead recycled once",
            len(recycled) == len(overdue)
            and set(recycled.values()) == {1}
            and set(stints.values()) == {2}
            and sum(runs) == len(overdue),
            f"{len(recycled)} of {len(overdue)} recycled, at most "
            f"{max(recycled.values(), default=0)} times; stints per lead "
            f"{sorted(set(stints.values()))}; the runs recycled {sum(runs)} in all",
        )
    finally:
        for process in processes:
            _stop(process)
        broker.release()
    print("ALL PASS" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
