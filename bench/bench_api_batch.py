"""The batch intake under gunicorn on PostgreSQL: ``POST /api/v1/leads/batch/``, or with
``--accounts`` a CRM's account sync, ``POST /api/v1/accounts/batch/``.

    .venv/bin/python bench/bench_api_batch.py [--leads 100000] [--batch 500] [--clients 4]
        [--workers 4] [--runs 3]
    .venv/bin/python bench/bench_api_batch.py --accounts [--leads 100000] [--batch 1000]

Resets the database ``portal_bench_batch`` (BENCH_DATABASE_URL; its name must contain
"bench", since it is dropped) and loads the demo data set (2,000 leads: dealers,
territories, accounts, claims), starts gunicorn (sync workers, DEBUG off) and posts
``--leads`` unique leads in batches of ``--batch`` from ``--clients`` processes, ``--runs``
times (new leads each run). Where the server's autovacuum is off, the written tables
are ANALYZEd before each run (not timed), as autovacuum would have. Prints routed leads
per second and the time per batch for each run, and their median. Goal: ≥ 3,000 routed leads/s with batches of 500.

With ``--accounts`` the items are ``--leads`` new accounts per run (batches of
``--batch``, at most 1,000), a third of them with an installed product and every tenth
a subsidiary of the one before it (named in the same batch), as a CRM's nightly sync
sends them; it prints accounts written per second.
"""

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from multiprocessing import Pool

from _setup import (
    ROOT,
    as_autovacuum_would,
    database_url,
    django_setup,
    ensure_database,
    manage,
    percentile,
)

# The tables a batch of leads writes to.
WRITTEN = ["leads_lead", "leads_leadevent", "leads_assignment", "leads_leadgroupobjectpermission"]
COUNTRIES = [("NL", "3011"), ("DE", "80331"), ("BE", "2000"), ("NL", "5611"), ("AT", "1010")]


def _post(args):
    port, path, bodies, secret = args
    headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {secret}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    seconds, created, statuses = [], 0, set()
    for body in bodies:
        started = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read()
        seconds.append(time.perf_counter() - started)
        statuses.add(response.status)
        if response.status == 207:
            created += json.loads(answer)["created"]
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    return seconds, created, statuses


def batches(run: int | str, stamp: int, leads: int, size: int) -> list[str]:
    """``leads`` new companies in bodies of ``size``. The warm-up's ``run`` is a word: as
    ``-1`` its names ("Stapel … -1 5 B.V.") would be the same company as run 1's to the
    duplicate finder, and 2,000 of run 1's leads were attached to them, not routed."""
    items = []
    for i in range(leads):
        country, postcode = COUNTRIES[i % len(COUNTRIES)]
        items.append(
            {
                "external_id": f"batch-{stamp}-{run}-{i}",
                "company_name": f"Stapel {stamp} {run} {i} B.V.",
                "country": country,
                "postcode": postcode,
                "contact_name": "Bea Bench",
                "contact_email": f"bea@stapel-{stamp}-{run}-{i}.example",
                "interest": "demo",
                "estimated_value": "40000",
            }
        )
    return [json.dumps({"leads": items[i : i + size]}) for i in range(0, leads, size)]


def account_batches(run: int | str, stamp: int, accounts: int, size: int) -> list[str]:
    """``accounts`` new accounts in bodies of ``size``: a third with an installed
    product, every tenth a subsidiary of the account before it."""
    items = []
    for i in range(accounts):
        country, postcode = COUNTRIES[i % len(COUNTRIES)]
        external_id = f"acc-{stamp}-{run}-{i}"
        items.append(
            {
                "external_id": external_id,
                "legal_name": f"Klant {stamp} {run} {i} GmbH",
                "domain": f"klant-{stamp}-{run}-{i}.example",
                "country": country,
                "postcode": postcode,
                "parent": f"acc-{stamp}-{run}-{i - 1}" if i % 10 == 9 else "",
                "installed_base": (
                    [
                        {
                            "product": "Press 400",
                            "serial_number": f"SN-{i}",
                            "installed_on": "2023-05-17",
                        }
                    ]
                    if i % 3 == 0
                    else []
                ),
            }
        )
    return [json.dumps({"accounts": items[i : i + size]}) for i in range(0, accounts, size)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=0, help="500 leads, 1,000 accounts")
    parser.add_argument("--accounts", action="store_true", help="sync accounts, not leads")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8781)))
    args = parser.parse_args()
    args.batch = args.batch or (1_000 if args.accounts else 500)
    if args.accounts:
        path, make, noun, goal = "/api/v1/accounts/batch/", account_batches, "accounts", ""
    else:
        path, make, noun, goal = "/api/v1/leads/batch/", batches, "leads", " [goal >= 3,000/s]"
    url = database_url("portal_bench_batch")  # its name must contain "bench": it is dropped
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "k3Vx" * 16,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "API_INTAKE_RATE": "1000000/min",
        "API_MAX_BODY_SIZE": str(8 * 1024 * 1024),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    ensure_database(url, fresh=True)
    manage("migrate", "-v", "0")
    manage("seed_demo", "--leads", "2000", "--quiet-logins")
    django_setup()
    from django.db import connection

    from leads.models import Account, Integration, Lead
    from leads.services.api_keys import api_key_create

    integration = Integration.objects.create(name="Bench CRM", kind=Integration.Kind.MARKETING)
    scopes = ["accounts"] if args.accounts else ["leads"]
    _key, secret = api_key_create(name="bench", integration=integration, scopes=scopes)
    connection.close()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "portal.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,
    )
    stamp = int(time.time())
    rates = []
    try:
        for _ in range(150):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)

        def post_all(bodies):
            with Pool(args.clients) as pool:
                return pool.map(
                    _post,
                    [
                        (args.port, path, bodies[c :: args.clients], secret)
                        for c in range(args.clients)
                    ],
                )

        post_all(make("warm", stamp, args.batch * args.clients, args.batch))
        written = ["leads_account", "leads_installedproduct"] if args.accounts else WRITTEN
        for run in range(args.runs):
            if as_autovacuum_would(written) and run == 0:
                print("autovacuum is off on this server: ANALYZE before each run, as it would")
            connection.close()
            bodies = make(run, stamp, args.leads, args.batch)
            started = time.perf_counter()
            answers = post_all(bodies)
            seconds = time.perf_counter() - started
            created = sum(a[1] for a in answers)
            per_batch = [s for a in answers for s in a[0]]
            statuses = set().union(*(a[2] for a in answers))
            if created != args.leads:
                raise SystemExit(f"run {run + 1}: {created:,} of {args.leads:,} {noun} written")
            rates.append(created / seconds)
            print(
                f"run {run + 1}: {created:,} {noun} written in {seconds:.1f} s = "
                f"{created / seconds:,.0f} {noun}/s; per batch of {args.batch}: "
                f"p50 {percentile(per_batch, 50) * 1000:.0f} ms, "
                f"p95 {percentile(per_batch, 95) * 1000:.0f} ms (answers {sorted(statuses)})"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    if args.accounts:
        stored = Account.objects.filter(external_id__startswith=f"acc-{stamp}-").count()
    else:
        stored = Lead.objects.filter(external_id__startswith=f"batch-{stamp}-").count()
    print(
        f"median of {args.runs} runs: {statistics.median(rates):,.0f} {noun}/s "
        f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}){goal}; "
        f"{stored:,} bench {noun} in the database; gunicorn {args.workers} workers, "
        f"{args.clients} clients"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
