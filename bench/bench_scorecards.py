"""Benchmark of the dealer scorecards on the database the settings point at.

Run from the project root against a large demo set, e.g. on PostgreSQL::

    DATABASE_URL=postgres://… .venv/bin/python manage.py seed_demo --leads 1000000
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_scorecards.py [--repeat 5]

Prints the number of stints, then for ``dealer_scorecards`` over every dealer (the
channel manager's table), one dealer's scorecard and one dealer's 6-month trend: the
queries each needs and the best, median and p95 wall time over ``--repeat`` runs. With
``--explain`` it also prints PostgreSQL's plan of the grouped stint query.

Then the pages, through the whole Django stack with the test client (middleware,
session, templates; no network), signed in as a channel manager: the scorecard table
(``manage:scorecards``, 90 days and 12 months, and its CSV export), one dealer's page,
the allocation page, the dashboard (its figures are cached for a minute, so the page
timings are warm; the uncached figures are measured on their own) and the fairness
report, each with its query count and p50 / p95 server time over ``--requests`` requests
after 3 warm-up requests, and the what-if preview (``whatif_preview``) of 500 and 2,000
leads. ``--no-pages`` skips them.
Goal (issue 7): the scorecard table for 40 dealers over 1,000,000 leads with a constant,
small number of queries (one grouped query over the stints, not one per dealer).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._setup import CountQueries  # noqa: E402
from dealers import scorecards  # noqa: E402
from dealers.models import Dealer  # noqa: E402
from leads.models import Assignment  # noqa: E402


def p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def measure(label: str, work, repeat: int) -> None:
    timings = []
    for _ in range(repeat):
        with CountQueries() as queries:
            started = time.perf_counter()
            work()
            timings.append(time.perf_counter() - started)
    print(
        f"{label:<44} {queries.n:>2} queries   best {min(timings) * 1000:8.1f} ms"
        f"   median {statistics.median(timings) * 1000:8.1f} ms"
        f"   p95 {p95(timings) * 1000:8.1f} ms"
    )


def measure_page(client, label: str, url: str, requests: int) -> None:
    for _ in range(3):  # warm up caches, templates, the connection
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    # Django resets the query log when a request starts: count with a wrapper instead.
    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)
    ):
        client.get(url)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, url
    print(
        f"{label:<44} {len(queries):>2} queries   p50 {statistics.median(timings) * 1000:8.1f} ms"
        f"   p95 {p95(timings) * 1000:8.1f} ms"
    )


def pages(requests: int) -> None:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from dealers import allocation
    from portal.users.models import Role, User

    manager = (
        User.objects.filter(
            is_active=True, staffprofile__role=Role.CHANNEL_MANAGER, staffprofile__countries=""
        ).first()
        or User.objects.filter(is_active=True, staffprofile__role=Role.CHANNEL_MANAGER).first()
    )
    if manager is None:
        sys.exit("No channel manager to sign in as: seed the database first (seed_demo).")
    dealer = Dealer.objects.order_by("pk").first()
    print(f"\npages, signed in as {manager.email}, {requests} timed requests each")
    # Keep one connection for the run, as a server with CONN_MAX_AGE does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = Client()
    client.force_login(manager)
    # Staff sign in with TOTP in production; the bench measures the page, not the login.
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"], REQUIRE_STAFF_MFA=False):
        table = reverse("manage:scorecards")
        for label, url in (
            ("page: scorecard table, 90 days", table),
            ("page: scorecard table, 12 months", f"{table}?period=365"),
            ("page: scorecard table sorted by follow-up", f"{table}?sort=-follow_up"),
            ("export: scorecard table as CSV", f"{table}?_export=csv"),
            ("page: one dealer's scorecard", reverse("manage:scorecard_detail", args=[dealer.pk])),
            ("page: allocation weights", reverse("manage:allocation")),
            ("page: dashboard, 12 weeks", reverse("manage:dashboard")),
            ("page: dashboard, 12 months", reverse("manage:dashboard") + "?period=365d"),
            ("page: fairness report", reverse("manage:fairness")),
        ):
            measure_page(client, label, url, requests)
    from leads.dashboard import figures

    for period in ("90d", "365d"):
        scope = figures.Scope.for_period(period, now=timezone.now())
        measure(
            f"dashboard figures uncached ({period})",
            lambda scope=scope: figures.overview(scope),
            3,
        )
    weights = allocation.proposed_weights(allocation.weights_compute(now=timezone.now()))
    for limit in (allocation.PREVIEW_DEFAULT, allocation.PREVIEW_MAX):
        measure(
            f"what-if preview, last {limit:,} leads",
            lambda limit=limit: allocation.whatif_preview(weights=weights, limit=limit),
            3,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--no-pages", action="store_true", help="only the selectors")
    args = parser.parse_args()

    now = timezone.now()
    start, end = scorecards.scorecard_window(now=now)
    dealer = Dealer.objects.order_by("pk").first()
    print(f"database: {connection.vendor}")
    print(f"stints: {Assignment.objects.count():,}  (dealers: {Dealer.objects.count()})")
    print(
        f"stints of dealers in the last 90 days: {Assignment.objects.filter(owner_dealer__isnull=False, started_at__gte=start).count():,}"
    )
    measure(
        "dealer_scorecards, every dealer, 90 days",
        lambda: scorecards.dealer_scorecards(start=start, end=end, now=now),
        args.repeat,
    )
    measure(
        "dealer_scorecard, one dealer, 90 days",
        lambda: scorecards.dealer_scorecard(dealer_id=dealer.pk, now=now),
        args.repeat,
    )
    measure(
        "dealer_trend, one dealer, 6 months",
        lambda: scorecards.dealer_trend(dealer_id=dealer.pk, months=6, now=now),
        args.repeat,
    )
    if args.explain and connection.vendor == "postgresql":
        with CaptureQueriesContext(connection) as queries:
            scorecards.dealer_scorecards(start=start, end=end, now=now)
        grouped = next(q["sql"] for q in queries if "leads_assignment" in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + grouped)
            print("\n".join(row[0] for row in cursor.fetchall()))
    if not args.no_pages:
        pages(args.requests)


if __name__ == "__main__":
    main()
