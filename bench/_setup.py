"""Shared set-up for benchmarks: Django on the database in DATABASE_URL (PostgreSQL)."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def database_url(default_name: str) -> str:
    """BENCH_DATABASE_URL (or DATABASE_URL), else the local PostgreSQL's
    ``default_name``; a database whose name lacks "bench" is refused."""
    url = (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or f"postgres://postgres@127.0.0.1:5432/{default_name}"
    )
    _refuse_unless_bench(urlparse(url).path.lstrip("/"))
    os.environ["DATABASE_URL"] = url
    return url


def _refuse_unless_bench(name: str) -> None:
    if "bench" not in name:
        raise SystemExit(
            f"Refusing the database {name!r}: benchmarks write to (and some drop) their "
            "database, so its name must contain 'bench'."
        )


class BenchRedis:
    """The Redis database a benchmark queues to: BENCH_REDIS_URL, or database
    ``default_db`` of the local Redis. Emptied at the end only when it was empty at the
    start, so a database someone else uses is never flushed."""

    def __init__(self, default_db: int):
        import redis

        self.url = os.environ.get("BENCH_REDIS_URL") or f"redis://127.0.0.1:6379/{default_db}"
        self.client = redis.Redis.from_url(self.url)
        self.was_empty = self.client.dbsize() == 0

    def release(self) -> None:
        if self.was_empty:
            self.client.flushdb()
        else:
            print(f"{self.url} held keys before the run: left as it is")


def ensure_database(url: str, *, fresh: bool = False) -> None:
    """Create the PostgreSQL database (dropping it first when ``fresh``). Refuses a
    database whose name does not contain "bench": a benchmark drops and fills it."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    _refuse_unless_bench(name)
    base = [
        "psql",
        "-h",
        parsed.hostname or "127.0.0.1",
        "-U",
        parsed.username or "postgres",
        "-d",
        "postgres",
        "-qAtc",
    ]
    if fresh:
        subprocess.run([*base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    exists = subprocess.run(
        [*base, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
    )
    if exists.stdout.strip() != "1":
        subprocess.run([*base, f"CREATE DATABASE {name}"], check=True)


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        check=True,
        env={**os.environ, **(env or {})},
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class CountQueries:
    """``with CountQueries() as counted: …``: the statements run inside it (``counted.n``;
    ``counted.sqls()`` writes them out with their values, for EXPLAIN, after the timing),
    kept without Django's query log. The log (``DEBUG``, ``CaptureQueriesContext``)
    writes each statement out with its values as it runs, which with server-side binding
    (``portal/pgcursor.py``) is a ``mogrify`` per statement: about 0.1 ms that a request
    does not pay in production."""

    def __enter__(self):
        from django.db import connection

        self.statements = []
        self._wrapped = connection.execute_wrapper(self._keep)
        self._wrapped.__enter__()
        return self

    def _keep(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        return self._wrapped.__exit__(*exc)

    @property
    def n(self) -> int:
        return len(self.statements)

    def sqls(self) -> list[str]:
        from django.db import connection

        return [connection.ops.compose_sql(sql, params) for sql, params in self.statements]


def database_ms(sqls: list[str]) -> float:
    """Planning + execution time the database reports for these statements (EXPLAIN
    ANALYZE), so a busy machine's CPU queue does not hide what the queries cost."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    total = 0.0
    with connection.cursor() as cursor:
        for sql in sqls:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0][0]
            total += plan["Planning Time"] + plan["Execution Time"]
    return total


class StatementTimes:
    """Wall time per kind of statement (its first words and table), COPY included, for
    ``--sql``: where a benchmark's database time goes."""

    def __init__(self):
        self.times: dict[str, list[float]] = {}

    def __enter__(self):
        import re
        import time

        from django.db import connection
        from psycopg import Cursor

        def kind(sql: str) -> str:
            sql = " ".join(str(sql).split())
            table = re.search(r'(?:FROM|INTO|UPDATE|COPY)\s+"?(\w+)"?', sql, re.I)
            words = " ".join(sql.split()[:1])
            name = f"{words} {table.group(1) if table else ''}".strip()
            if os.environ.get("BENCH_SQL_WHERE") and " WHERE " in sql:
                name += " WHERE " + sql.split(" WHERE ", 1)[1][:160]
            return name

        def wrapper(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                self.times.setdefault(kind(sql), []).append(time.perf_counter() - started)

        original_copy = Cursor.copy
        times = self.times

        class Timed:
            def __init__(self, inner, sql):
                self.inner, self.sql = inner, sql

            def __enter__(self):
                self.started = time.perf_counter()
                return self.inner.__enter__()

            def __exit__(self, *exc):
                try:
                    return self.inner.__exit__(*exc)
                finally:
                    times.setdefault(kind(self.sql), []).append(time.perf_counter() - self.started)

        def copy(cursor, sql, *args, **kwargs):
            return Timed(original_copy(cursor, sql, *args, **kwargs), sql)

        self._restore = lambda: setattr(Cursor, "copy", original_copy)
        Cursor.copy = copy
        self._wrapped = connection.execute_wrapper(wrapper)
        self._wrapped.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapped.__exit__(*exc)
        self._restore()

    def print(self, total_seconds: float) -> None:
        spent = sum(sum(v) for v in self.times.values())
        print(f"database: {spent:.1f} s of {total_seconds:.1f} s in statements")
        for name, values in sorted(self.times.items(), key=lambda kv: -sum(kv[1]))[:25]:
            print(f"  {sum(values):7.2f} s {len(values):7,}x  {name}")


def as_autovacuum_would(tables: list[str]) -> bool:
    """ANALYZE ``tables`` when the server runs without autovacuum (the development
    machine's PostgreSQL does): in production autovacuum refreshes the planner's
    statistics each time a tenth of a table changed, and without that the plans made for
    the demo's 2,000 leads were still used at 300,000 (the batch API lost a quarter of
    its speed after the first run). Returns whether it did."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        if cursor.fetchone()[0] == "on":
            return False
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True
