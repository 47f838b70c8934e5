"""Which captured statements PostgreSQL can only answer by reading a whole table.

``full_reads(queries, tables)`` EXPLAINs every captured SELECT with sequential scans
switched off, so a table small enough in a test to be read whole is still looked up by
an index whenever one fits. A plan that reads one of ``tables`` whole anyway has no
index it can use: the statement will read every row of a production table."""

from django.db import connection


def full_reads(queries, tables: set[str]) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            for query in queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT") or " FOR UPDATE" in sql:
                    continue
                cursor.execute(f"EXPLAIN {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                scanned = {t for t in tables if f"Seq Scan on {t} " in plan}
                if scanned:
                    found.append(f"{sorted(scanned)} read whole by: {sql[:300]}")
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")
    return found
