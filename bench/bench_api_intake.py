"""API intake under gunicorn on PostgreSQL, against a bare Django endpoint, same run.

    .venv/bin/python bench/bench_api_intake.py [--requests 3000] [--clients 8] [--workers 4]
        [--broker-down]

Resets the database ``portal_bench_api`` (or DATABASE_URL), loads the demo data, starts
gunicorn (sync workers, DEBUG off, notifications queued to Redis as in production), then
posts unique leads to ``POST /api/v1/leads/`` (validation, matching, routing, stint,
event, permissions, notification rows, deadlines) and the same number of requests to
``/bench/bare/`` (a plain view inserting one row), from several client processes.
Prints requests per second, latency percentiles and the ratio. Goal: intake ≥ 50 % of
the bare endpoint.

With ``--broker-down`` the intake runs a second time against a portal whose Celery broker
(``CELERY_BROKER_URL``) is a port where nothing listens, the cache still up: every
notification and confirmation then waits in the outbox. Goal: throughput within 1.5x of
the first intake run (≥ 67 %).
"""

import argparse
import http.client
import json
import os
import resource
import signal
import subprocess
import sys
import time
from multiprocessing import Pool

from _setup import ROOT, database_url, django_setup, ensure_database, manage, percentile

PORT = 8765


def _post(args):
    path, payloads, headers = args
    latencies, statuses = [], []
    for body in payloads:
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        latencies.append(time.perf_counter() - started)
        statuses.append(response.status)
    return latencies, statuses


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by the processes of each service (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the finished client processes
    totals = {
        "gunicorn": 0.0,
        "postgres": 0.0,
        "redis": 0.0,
        "clients": children.ru_utime + children.ru_stime,
    }
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)
            name = fields[0].split("(", 1)[1]
            with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                cmdline = cmd.read()
        except OSError:
            continue
        used = sum(int(x) for x in fields[1].split()[11:13]) / tick
        if b"gunicorn" in cmdline:
            totals["gunicorn"] += used
        elif name.startswith("postgres"):
            totals["postgres"] += used
        elif name.startswith("redis"):
            totals["redis"] += used
    return totals


def serve(workers: int, env: dict) -> subprocess.Popen:
    """gunicorn with the portal on PORT, once it answers."""
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "portal.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    for _ in range(100):
        try:
            # (an API answer: the HTML pages would need collectstatic with DEBUG off)
            http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request(
                "GET", "/api/v1/leads/"
            )
            break
        except OSError:
            time.sleep(0.2)
    return server


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=20)


def run(path, payloads, headers, clients):
    chunks = [payloads[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with Pool(clients) as pool:
        results = pool.map(_post, [(path, chunk, headers) for chunk in chunks])
        pool.close()
        pool.join()  # (reaped, so their CPU time shows in RUSAGE_CHILDREN)
    seconds = time.perf_counter() - started
    latencies = [x for r in results for x in r[0]]
    statuses = [x for r in results for x in r[1]]
    return len(payloads) / seconds, latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--broker-down", action="store_true", help="intake again with the broker unreachable"
    )
    args = parser.parse_args()
    url = database_url("portal_bench_api")
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "k3Vx" * 16,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"),
        "API_INTAKE_RATE": "1000000/min",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    ensure_database(url, fresh=True)
    manage("migrate", "-v", "0")
    manage("seed_demo", "--leads", "2000", "--quiet-logins")
    django_setup()
    from django.db import connection

    from leads.models import Integration, Lead
    from leads.services.api_keys import api_key_create

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, body text)"
        )
    integration = Integration.objects.create(name="Bench website", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="bench", integration=integration)
    connection.close()

    server = serve(args.workers, env)
    try:
        stamp = int(time.time())
        countries = [
            ("NL", "3011"),
            ("DE", "80331"),
            ("BE", "2000"),
            ("NL", "5611"),
            ("AT", "1010"),
            ("CH", "8001"),
        ]
        leads = []
        for i in range(args.requests):
            country, postcode = countries[i % len(countries)]
            leads.append(
                json.dumps(
                    {
                        "external_id": f"bench-{stamp}-{i}",
                        "company_name": f"Benchmark {stamp} {i} B.V.",
                        "country": country,
                        "postcode": postcode,
                        "contact_name": "Bea Bench",
                        "contact_email": f"bea{i}@bench{stamp}-{i}.example",
                        "interest": "demo",
                        "estimated_value": "40000",
                    }
                )
            )
        headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {secret}"}
        warm = leads[: args.clients * 5]
        run("/bench/bare/", warm, headers, args.clients)
        run(
            "/api/v1/leads/",
            [w.replace("bench", "warm").replace("Benchmark", "Warmup") for w in warm],
            headers,
            args.clients,
        )
        cpu = [cpu_seconds()]
        bare_rate, bare_lat, bare_status = run("/bench/bare/", leads, headers, args.clients)
        cpu.append(cpu_seconds())
        api_rate, api_lat, api_status = run("/api/v1/leads/", leads, headers, args.clients)
        cpu.append(cpu_seconds())
    finally:
        stop(server)
    if args.broker_down:
        server = serve(args.workers, {**env, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"})
        try:
            again = [x.replace("bench", "down").replace("Benchmark", "Down") for x in leads]
            run("/api/v1/leads/", again[: args.clients * 5], headers, args.clients)  # warm up
            down_rate, down_lat, down_status = run(
                "/api/v1/leads/", again[args.clients * 5 :], headers, args.clients
            )
        finally:
            stop(server)
    created = sum(1 for s in api_status if s == 201)
    print(
        f"gunicorn: {args.workers} sync workers; {args.clients} client processes; {args.requests} requests each"
    )
    print(
        f"bare insert:  {bare_rate:7.0f} req/s  p50 {percentile(bare_lat, 50) * 1000:5.1f} ms  p95 {percentile(bare_lat, 95) * 1000:5.1f} ms  (status {set(bare_status)})"
    )
    print(
        f"API intake:   {api_rate:7.0f} req/s  p50 {percentile(api_lat, 50) * 1000:5.1f} ms  p95 {percentile(api_lat, 95) * 1000:5.1f} ms  ({created} created, status {set(api_status)})"
    )
    print(f"ratio: {api_rate / bare_rate:.0%} of the bare endpoint [goal >= 50%]")
    if args.broker_down:
        print(
            f"broker down:  {down_rate:7.0f} req/s  p50 {percentile(down_lat, 50) * 1000:5.1f} ms  p95 {percentile(down_lat, 95) * 1000:5.1f} ms  ({sum(1 for s in down_status if s == 201)} created, status {set(down_status)})"
        )
        print(
            f"broker down: {down_rate / api_rate:.0%} of the intake rate with the broker up [goal >= 67%]"
        )
    per_request = {}
    for label, before, after in (("bare insert", cpu[0], cpu[1]), ("API intake", cpu[1], cpu[2])):
        per = {k: (after[k] - before[k]) / args.requests * 1000 for k in after}
        per_request[label] = per
        print(
            f"CPU per request, {label}: "
            + ", ".join(f"{k} {v:.2f} ms" for k, v in per.items())
            + f"; in all {sum(per.values()):.2f} ms"
        )
    # Both runs keep every core busy, so the CPU a request may use is what limits the
    # rate: at the goal an intake may use twice what a bare request uses, in all.
    budget = 2 * sum(per_request["bare insert"].values())
    print(
        f"at the goal an intake could use {budget:.2f} ms of CPU in all; "
        f"the database alone used {per_request['API intake']['postgres']:.2f} ms, "
        f"the portal's Python {per_request['API intake']['gunicorn']:.2f} ms"
    )
    django_setup()
    print(
        f"leads routed in database: {Lead.objects.filter(external_id__startswith=f'bench-{stamp}').count()}"
    )
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


if __name__ == "__main__":
    sys.exit(main())
