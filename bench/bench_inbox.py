"""Benchmark of the dealer inbox: query count and server time of its first page and a
filtered page, against a bare page (the same layout, no leads) rendered in the same run.

Run from the project root against a seeded database::

    .venv/bin/python manage.py seed_demo --leads 1000000          # once (minutes)
    .venv/bin/python bench/bench_inbox.py [--requests 200]

    # on PostgreSQL, as the goal is stated:
    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench \\
        .venv/bin/python manage.py seed_demo --leads 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench .venv/bin/python bench/bench_inbox.py

It signs in as a user of the dealer with the most leads and requests each page through
the whole Django stack (middleware, session, templates) with the test client, which
does not go over the network. Goal (issue 5): with 25,000 leads for that dealer, at
most 10 queries and a p95 server time at most 3x the bare page's, for both pages.
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

from django.conf import settings  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from dealers.models import Dealer, DealerMembership  # noqa: E402
from leads.models import Lead  # noqa: E402

FILTERED = "/leads/?status=open&temperature=hot&sort=sla"


@login_required
def bare_page(request):
    """The portal's layout and navigation with an empty content block."""
    return render(request, "base.html", {})


# The project's URLs plus the bare page, for this run only.
urlpatterns = [path("__bench/bare/", bare_page), path("", include(settings.ROOT_URLCONF))]


def top_dealer() -> tuple[Dealer, int]:
    row = (
        Lead.objects.filter(owner_dealer__isnull=False)
        .values("owner_dealer")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    if row is None:
        sys.exit("No dealer owns a lead: seed the database first (manage.py seed_demo).")
    return Dealer.objects.get(pk=row["owner_dealer"]), row["n"]


def grow_dealer(dealer: Dealer, extra: int) -> int:
    """Move ``extra`` other dealers' leads to ``dealer`` (the issue asks for a dealer
    with 25,000 leads; the demo spreads them over 40). Refused outside a benchmark
    database, since it rewrites owners without the one door."""
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name:
        sys.exit(f"Refusing to move leads in {name!r}: use a database whose name contains 'bench'.")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_lead SET owner_dealer_id = %s WHERE id IN ("
            " SELECT id FROM leads_lead WHERE owner_dealer_id IS NOT NULL"
            " AND owner_dealer_id <> %s ORDER BY id LIMIT %s)",
            [dealer.pk, dealer.pk, extra],
        )
        moved = cursor.rowcount
        # As autovacuum would after such an update: statistics and the visibility map
        # (the badge counts are index-only scans).
        cursor.execute("VACUUM ANALYZE leads_lead")
    print(f"moved {moved:,} leads to {dealer.name} for the benchmark")
    return moved


def count_queries(client: Client, url: str) -> int:
    queries = []

    def record(execute, sql, *rest):
        queries.append(sql)
        return execute(sql, *rest)

    with connection.execute_wrapper(record):
        assert client.get(url).status_code == 200, url
    return len(queries)


def measure(client: Client, pages: dict, requests: int) -> dict:
    """Query count, p50 and p95 per page. The pages take turns, request by request, so
    a busy moment of the machine falls on all of them alike."""
    for url in pages.values():
        for _ in range(5):  # warm up caches, templates, the connection
            assert client.get(url).status_code == 200, url
    times = {name: [] for name in pages}
    for _ in range(requests):
        for name, url in pages.items():
            started = time.perf_counter()
            response = client.get(url)
            times[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
    results = {}
    for name, url in pages.items():
        ordered = sorted(times[name])
        results[name] = {
            "queries": count_queries(client, url),
            "p50": statistics.median(ordered),
            "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)],
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument(
        "--dealer-leads",
        type=int,
        default=25_000,
        help="first give the top dealer this many leads (benchmark databases only)",
    )
    args = parser.parse_args()

    dealer, leads = top_dealer()
    if leads < args.dealer_leads:
        leads = grow_dealer(dealer, args.dealer_leads - leads) + leads
    membership = (
        DealerMembership.objects.filter(dealer=dealer, user__is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        sys.exit(f"{dealer} has no active user to sign in as.")
    total = Lead.objects.count()
    print(f"database: {connection.vendor}, {total:,} leads")
    print(f"dealer:   {dealer.name}, {leads:,} leads; signed in as {membership.user.email}")
    print(f"requests: {args.requests} timed per page, taking turns, after 5 warm-up requests\n")

    # Keep one connection for the run, as a server with CONN_MAX_AGE does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = Client()
    client.force_login(membership.user)
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        pages = {
            "bare page": "/__bench/bare/",
            "inbox, first page": "/leads/",
            "inbox, filtered": FILTERED,
        }
        results = measure(client, pages, args.requests)

    bare = results["bare page"]
    print(f"{'page':<20} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'p95 / bare':>10}")
    for name, result in results.items():
        ratio = result["p95"] / bare["p95"]
        print(
            f"{name:<20} {result['queries']:>7} {result['p50']:>8.1f} {result['p95']:>8.1f} "
            f"{ratio:>9.2f}x"
        )
    ok = all(
        results[name]["queries"] <= 10 and results[name]["p95"] <= 3 * bare["p95"]
        for name in ("inbox, first page", "inbox, filtered")
    )
    print("\ngoal (≤ 10 queries, p95 ≤ 3x bare):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
