"""Benchmark of company matching among 1,000,000 accounts (issue 4: goal p95 ≤ 5 ms).

Times ``leads.matching.matcher.find_account`` and ``match_company`` (account, active
claims, open leads) for random known companies looked up by VAT number, website
domain and normalised name, and for unknown companies (a miss). Run it against a
dedicated benchmark database; the accounts are bulk-loaded once (COPY on PostgreSQL,
``bulk_create`` in batches elsewhere) and reused by later runs::

    createdb -h 127.0.0.1 -U postgres portal_bench
    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench \\
        .venv/bin/python bench/bench_match.py --accounts 1000000 [--samples 2000]

The database name must contain "bench": the script migrates it and adds rows.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # as in production: no query log (see bench._setup.CountQueries)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._setup import CountQueries, database_ms, percentile  # noqa: E402
from leads.demo import companies  # noqa: E402
from leads.matching.matcher import CompanyKeys, find_account, match_company  # noqa: E402
from leads.matching.normalize import normalize_company_name  # noqa: E402
from leads.models import Account  # noqa: E402
from portal.db import insert_many  # noqa: E402

SYLLABLES = [
    "ka",
    "ro",
    "ven",
    "dal",
    "berg",
    "holt",
    "mer",
    "lin",
    "sta",
    "vor",
    "ten",
    "bri",
    "gel",
    "han",
    "kor",
    "lum",
    "mas",
    "nor",
    "pel",
    "rik",
    "sel",
    "tor",
    "ul",
    "vel",
    "wen",
    "zan",
    "ark",
    "bel",
    "cor",
    "dun",
    "eck",
    "fal",
    "gar",
    "hov",
    "isen",
    "jor",
    "kel",
    "lau",
    "mor",
]
SECTOR_WORDS = [
    "Logistiek",
    "Metaal",
    "Techniek",
    "Verpakkingen",
    "Maschinenbau",
    "Kunststoffe",
    "Agrar",
    "Möbel",
    "Food",
    "Industrie",
]
FORMS = {"NL": "B.V.", "BE": "NV", "DE": "GmbH", "AT": "GmbH", "CH": "AG", "LU": "S.A."}
BATCH = 20_000


def unique_word(n: int) -> str:
    """A pronounceable word per number: 40 syllables, four of them, 2.5 M words."""
    parts = []
    for _ in range(4):
        n, digit = divmod(n, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
    return "".join(parts).capitalize()


def account_row(i: int, rng: random.Random, now) -> tuple:
    country = companies.pick_country(rng)
    name = f"{unique_word(i)} {rng.choice(SECTOR_WORDS)} {FORMS[country]}"
    display, number, city = companies.postcode(rng, country)
    vat = companies.vat_number(rng, country) if rng.random() < 0.7 else ""
    domain = f"{unique_word(i).lower()}.{country.lower()}" if rng.random() < 0.8 else ""
    return (
        name,
        normalize_company_name(name),
        domain,
        vat,
        "",
        country,
        display,
        number,
        city,
        "",
        now,
    )


COLUMNS = (
    "legal_name",
    "normalized_name",
    "website_domain",
    "vat_number",
    "coc_number",
    "country",
    "postcode",
    "postcode_number",
    "city",
    "sector",
    "created_at",
)


def load_accounts(target: int) -> None:
    """Add accounts until there are ``target`` (idempotent: resumes where it stopped)."""
    existing = Account.objects.count()
    if existing >= target:
        print(f"{existing:,} accounts already loaded")
        return
    rng = random.Random(f"bench-match-{existing}")
    now = timezone.now()
    started = time.perf_counter()
    for start in range(existing, target, BATCH):
        rows = [account_row(i, rng, now) for i in range(start, min(start + BATCH, target))]
        # Through the portal's own bulk insert (COPY on PostgreSQL): the columns follow
        # the model, so a field added to Account later cannot break the benchmark.
        insert_many(Account, [Account(**dict(zip(COLUMNS, row, strict=True))) for row in rows])
        done = start + len(rows)
        print(f"\r  loaded {done:,} / {target:,} accounts", end="", flush=True)
    print(f"\n  in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE leads_account")


def measure(label: str, keys_list: list[CompanyKeys], call) -> None:
    timings, cpus, queries, found, db = [], [], [], 0, []
    for keys in keys_list:
        with CountQueries() as counted:
            started, cpu = time.perf_counter(), time.process_time()
            result = call(keys)
            timings.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        queries.append(counted.n)
        found += result is not None and result[0] is not None
        if len(db) < 300:  # the database's own time, for a subset
            db.append(database_ms(counted.sqls()))
    print(
        f"  {label:<28} p50 {percentile(timings, 50):6.2f} ms   p95 {percentile(timings, 95):6.2f} ms"
        f"   p99 {percentile(timings, 99):6.2f} ms   python cpu p50 {percentile(cpus, 50):5.2f} ms"
        f"   database p50 {percentile(db, 50):5.2f} / p95 {percentile(db, 95):5.2f} ms"
        f"   queries {min(queries)}-{max(queries)}   found {found}/{len(keys_list)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    name = connection.settings_dict["NAME"]
    if "bench" not in str(name):
        sys.exit(f"Refusing to load benchmark rows into {name!r}: use a database named *bench*.")
    call_command("migrate", verbosity=0)
    print(f"Database: {connection.vendor} {name}; load average {os.getloadavg()[0]:.1f}")
    load_accounts(args.accounts)
    total = Account.objects.count()
    rng = random.Random(args.seed)
    # Sample known accounts by random id ranges (no ORDER BY random() over a million).
    low, high = (
        Account.objects.order_by("pk").values_list("pk", flat=True)[:1][0],
        (Account.objects.order_by("-pk").values_list("pk", flat=True)[:1][0]),
    )
    ids = rng.sample(range(low, high + 1), min(args.samples * 2, high - low + 1))
    sample = list(
        Account.objects.filter(pk__in=ids).values(
            "legal_name", "country", "vat_number", "website_domain"
        )[: args.samples]
    )
    by_vat = [CompanyKeys.of(vat=a["vat_number"]) for a in sample if a["vat_number"]]
    by_domain = [
        CompanyKeys.of(website=f"https://www.{a['website_domain']}/")
        for a in sample
        if a["website_domain"]
    ]
    by_name = [CompanyKeys.of(name=a["legal_name"], country=a["country"]) for a in sample]
    everything = [
        CompanyKeys.of(
            name=a["legal_name"],
            country=a["country"],
            vat=a["vat_number"],
            website=a["website_domain"],
        )
        for a in sample
    ]
    misses = [
        CompanyKeys.of(name=f"Onbekend {unique_word(10**7 + i)} B.V.", country="NL")
        for i in range(len(sample))
    ]
    now = timezone.now()
    print(f"{total:,} accounts; {len(sample):,} sampled companies\n")
    print("find_account (the account and its parents, installed base prefetched):")
    measure("by VAT number", by_vat, find_account)
    measure("by website domain", by_domain, find_account)
    measure("by name + country", by_name, find_account)
    measure("by all keys at once", everything, find_account)
    measure("unknown company (miss)", misses, find_account)
    print("\nmatch_company (account + active claims + open leads):")

    def matched(keys):
        match = match_company(keys, now=now)
        return (match.account,)

    measure("by VAT number", by_vat, matched)
    measure("by website domain", by_domain, matched)
    measure("by name + country", by_name, matched)
    measure("unknown company (miss)", misses, matched)
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")
    print("Goal (issue 4): p95 ≤ 5 ms for a company match among 1,000,000 accounts.")


if __name__ == "__main__":
    main()
