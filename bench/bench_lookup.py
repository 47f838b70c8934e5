"""Benchmark of the company lookup (internal sales: "may I call them?").

Times ``leads.services.lookup.company_lookup`` and the whole page (view and template,
as an internal sales rep) for searches a rep types: a full company name, the start of
one, a website domain, an e-mail address, a VAT number and a postcode, taken at random
from the data. Reports p50 / p95 / p99 and the number of queries per search. Reads
only; run it against a seeded database::

    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench \\
        .venv/bin/python manage.py seed_demo --leads 1000000 --quiet-logins
    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench \\
        .venv/bin/python bench/bench_lookup.py [--samples 300]

Goal: well under a second per search with 1,000,000 leads, a fixed number of queries.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # as in production: no query log (see bench._setup.CountQueries)

from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from bench._setup import CountQueries, database_ms, percentile  # noqa: E402
from leads.models import Account, Lead  # noqa: E402
from leads.services.lookup import company_lookup  # noqa: E402
from leads.staff.views import lookup  # noqa: E402
from portal.users.models import Role, User  # noqa: E402


def sample_rows(model, rng, count, fields, **filters):
    """Random rows by random id ranges (no ORDER BY random() over a million rows)."""
    ids = model.objects.order_by("pk").values_list("pk", flat=True)
    low, high = ids.first(), model.objects.order_by("-pk").values_list("pk", flat=True).first()
    if low is None:
        return []
    picks = rng.sample(range(low, high + 1), min(count * 4, high - low + 1))
    return list(model.objects.filter(pk__in=picks, **filters).values(*fields)[:count])


def searches(rng: random.Random, count: int) -> dict[str, list[tuple[str, str]]]:
    accounts = sample_rows(
        Account,
        rng,
        count,
        ["legal_name", "country", "website_domain", "vat_number", "postcode"],
    )
    leads = sample_rows(
        Lead,
        rng,
        count,
        ["company_name", "country", "postcode"],
        status__in=Lead.OPEN_STATUSES,
    )
    names = [a["legal_name"] for a in accounts] + [lead["company_name"] for lead in leads]
    rng.shuffle(names)

    def prefix(name: str) -> str:
        words = name.split()
        return " ".join(words[:1] + [words[1][:3]]) if len(words) > 1 else name[:4]

    return {
        "full name": [(n, "") for n in names[:count]],
        "start of a name": [(prefix(n), "") for n in names[:count]],
        "website domain": [(a["website_domain"], "") for a in accounts if a["website_domain"]],
        "e-mail address": [
            (f"info@{a['website_domain']}", "") for a in accounts if a["website_domain"]
        ],
        "VAT number": [(a["vat_number"], "") for a in accounts if a["vat_number"]],
        "postcode + country": [
            (row["postcode"], row["country"]) for row in (accounts + leads) if row["postcode"]
        ][:count],
    }


def run(label, items, call):
    timings, cpus, queries, hits, db = [], [], [], [], []
    for query, country in items:
        with CountQueries() as counted:
            started, cpu = time.perf_counter(), time.process_time()
            found = call(query, country)
            timings.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        queries.append(counted.n)
        hits.append(found)
        db.append(database_ms(counted.sqls()))
    print(
        f"  {label:<20} p50 {percentile(timings, 50):7.1f} ms  p95 {percentile(timings, 95):7.1f} ms"
        f"  p99 {percentile(timings, 99):7.1f} ms  python cpu p50 {percentile(cpus, 50):5.1f} ms"
        f"  database p50 {percentile(db, 50):5.1f} / p95 {percentile(db, 95):5.1f} ms"
        f"  queries {min(queries)}-{max(queries)}  companies/search {statistics.mean(hits):5.1f}"
        f"  (n={len(items)})"
    )
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    total = Lead.objects.count()
    open_total = Lead.objects.filter(status__in=Lead.OPEN_STATUSES).count()
    print(
        f"Database: {connection.vendor} {connection.settings_dict['NAME']}: {total:,} leads "
        f"({open_total:,} open), {Account.objects.count():,} accounts; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n"
    )
    kinds = searches(rng, args.samples)
    rep = (
        User.objects.filter(staffprofile__role=Role.INTERNAL_SALES, is_active=True).first()
        or User.objects.filter(is_superuser=True).first()
    )
    factory = RequestFactory()

    def service(query, country):
        return len(company_lookup(query, country=country).hits)

    def page(query, country):
        request = factory.get("/manage/lookup/", {"q": query, "country": country})
        request.user = rep
        response = lookup(request)
        assert response.status_code == 200, response.status_code
        return response.content.count(b"card lookup-hit ")

    print("company_lookup (the service):")
    every = []
    for label, items in kinds.items():
        every += run(label, items, service)
    print(f"  {'all searches':<20} p95 {percentile(every, 95):7.1f} ms")
    if rep is not None:
        print(f"\nthe page /manage/lookup/ (view and template, as {rep.name}):")
        every = []
        for label, items in kinds.items():
            every += run(label, items, page)
        print(f"  {'all searches':<20} p95 {percentile(every, 95):7.1f} ms")
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")
    print("Goal: well under a second per search with 1,000,000 leads.")


if __name__ == "__main__":
    main()
