"""CSV import of 100,000 leads on PostgreSQL: leads per second and memory.

    .venv/bin/python bench/bench_csv_import.py [--rows 100000] [--batch 500] [--runs 3]

Uses (and first resets) the database ``portal_bench_import`` unless BENCH_DATABASE_URL is set,
loads the demo's dealers, territories and accounts, writes a CSV of realistic leads
across NL, BE, DE, AT, CH and LU (some existing customers, some bad rows), then imports
it with the real service (validation, matching, routing, stints, events, permissions,
notification rows) and prints the rate and the peak memory; with ``--runs`` (3) it does
all that in a fresh process and database per run and prints the median. Goal: ≥ 2,500
leads/s with flat memory. Notifications are queued to Redis (BENCH_REDIS_URL, default db 9), as in
production; nothing is e-mailed.
"""

import argparse
import contextlib
import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from _setup import BenchRedis, StatementTimes, database_url, django_setup, ensure_database, manage


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="worker processes (default: as manage.py import_leads)",
    )
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    parser.add_argument("--sql", action="store_true", help="print the database time by statement")
    parser.add_argument("--runs", type=int, default=3, help="fresh database each; the median")
    args = parser.parse_args()
    if args.runs > 1:
        return repeat(args)
    url = database_url("portal_bench_import")
    redis_db = BenchRedis(default_db=9)
    os.environ["REDIS_URL"] = redis_db.url
    # Production-like: no query log (DEBUG off).
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x7Qz" * 16)
    ensure_database(url, fresh=True)
    manage("migrate", "-v", "0")
    manage("seed_demo", "--leads", "0", "--claims", "100", "--quiet-logins")
    django_setup()
    from leads.demo import companies
    from leads.models import Account, Lead
    from leads.services.imports import CSV_COLUMNS, PROCESSES, import_leads
    from portal.runtime import tune_garbage_collection

    rng = random.Random(7)
    accounts = list(
        Account.objects.values_list("legal_name", "country", "postcode", "website_domain")
    )
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for i in range(args.rows):
            if accounts and rng.random() < 0.3:
                name, country, code, domain = rng.choice(accounts)
                city = ""
            else:
                country = companies.pick_country(rng)
                name, _sector = companies.company_name(rng, country)
                name = f"{name.rsplit(' ', 1)[0]} {i} {name.rsplit(' ', 1)[1]}"
                code, _number, city = companies.postcode(rng, country)
                domain = f"company{i}.example"
            if rng.random() < 0.01:
                code = "1"  # a bad row
            contact, _role = companies.person(rng, country)
            writer.writerow(
                [
                    f"bench-{i}",
                    name,
                    contact,
                    f"buyer{i}@{domain}",
                    companies.phone_number(rng, country, city),  # each row its own
                    country,
                    code,
                    city,
                    rng.choice(["machinery", "food", "logistics", "automotive", ""]),
                    rng.choice(["", "25000", "80000", "300000"]),
                    rng.choice(["demo", "price", "content", "other"]),
                ]
            )
    size_mb = os.path.getsize(path) / 1e6
    peak = {"rss": 0}
    stop = threading.Event()

    def rss() -> int:
        """This process's resident memory; with workers, the proportional set size of
        this process and its workers (forked: the pages they share count once)."""
        pid = os.getpid()
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            workers = list(map(int, f.read().split()))
        if not workers:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * resource.getpagesize()
        total = 0
        for member in (pid, *workers):
            with contextlib.suppress(OSError), open(f"/proc/{member}/smaps_rollup") as f:
                total += next(int(x.split()[1]) * 1024 for x in f if x.startswith("Pss:"))
        return total

    def sample():
        while not stop.is_set():
            peak["rss"] = max(peak["rss"], rss())
            time.sleep(0.2)

    before_rss = rss()
    processes = args.processes or PROCESSES
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    children_started = resource.getrusage(resource.RUSAGE_CHILDREN)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    statements = StatementTimes() if args.sql else contextlib.nullcontext()
    tune_garbage_collection()  # as the Celery worker and ``manage.py import_leads`` do
    with open(path, "rb") as stream, statements:
        report = import_leads(stream=stream, batch_size=args.batch, processes=processes)
    cpu_seconds = time.process_time() - cpu_started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, once joined
    workers_cpu = (children.ru_utime + children.ru_stime) - (
        children_started.ru_utime + children_started.ru_stime
    )
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
        profiler.dump_stats(os.environ.get("BENCH_PROFILE_FILE", "/tmp/bench_csv_import.prof"))
    seconds = time.perf_counter() - started
    if args.sql:
        statements.print(seconds)
    stop.set()
    sampler.join()
    os.unlink(path)
    print(f"file: {args.rows:,} rows, {size_mb:.1f} MB; batch {args.batch}; {processes} processes")
    print(
        f"imported: {report.created:,} created, {report.duplicates:,} attached to open leads, "
        f"{report.existing:,} existing, {report.error_rows:,} rows with errors"
    )
    print(
        f"time: {seconds:.1f} s -> {report.total_rows / seconds:,.0f} rows/s, {report.created / seconds:,.0f} leads/s [goal >= 2,500 leads/s]"
    )
    print(
        f"process CPU: {cpu_seconds:.2f} s reading the rows, {workers_cpu:.2f} s in the "
        f"workers (less noisy than the wall clock on a shared machine)"
        if processes > 1
        else f"process CPU: {cpu_seconds:.2f} s (less noisy than the wall clock on a shared machine)"
    )
    print(f"RESULT {report.created / seconds:.1f} {seconds:.2f}")
    print(
        f"memory: {before_rss / 1e6:.0f} MB before, peak {peak['rss'] / 1e6:.0f} MB during the import"
        + (" (this process and its workers)" if processes > 1 else "")
    )
    print(f"leads in database: {Lead.objects.count():,}")

    redis_db.release()


def repeat(args) -> None:
    """``--runs`` runs, each in a process of its own on a fresh database; the median."""
    rates, times = [], []
    for run in range(args.runs):
        command = [sys.executable, __file__, "--rows", str(args.rows), "--batch", str(args.batch)]
        command += ["--processes", str(args.processes)]
        output = subprocess.run(
            [*command, "--runs", "1"], check=True, capture_output=True, text=True
        ).stdout
        lines = [line for line in output.splitlines() if not line.startswith("RESULT ")]
        print(f"--- run {run + 1}\n" + "\n".join(lines), flush=True)
        result = next(line for line in output.splitlines() if line.startswith("RESULT "))
        rate, seconds = map(float, result.split()[1:3])
        rates.append(rate)
        times.append(seconds)
    print(
        f"median of {args.runs} runs: {statistics.median(rates):,.0f} new leads/s in "
        f"{statistics.median(times):.1f} s (runs: {', '.join(f'{r:,.0f}' for r in rates)} "
        f"leads/s) [goal >= 2,500 leads/s]"
    )


if __name__ == "__main__":
    main()
