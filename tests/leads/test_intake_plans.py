"""A lead's way in runs in one transaction whose statements PostgreSQL plans once for
any values (``portal.prepared.plan_once``): planning its lookups cost more than running them.
Such a plan must still find the rows by an index. Each lookup of an intake that has
every kind of key (external id, e-mail address, website, name, a matching account and
an open lead of the same company) is prepared, planned for any values and EXPLAINed
with sequential scans off: a plan that still reads a table whole has no index it can
use, e.g. a partial index whose condition (``website_domain <> ''``, the open
statuses) names a value the plan cannot see."""

import re

import pytest
from django.db import connection, transaction

from leads.models import Lead
from portal import prepared
from tests.factories import AccountFactory
from tests.leads.pipeline_world import make_world, new_lead

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TABLES = ("leads_lead", "leads_account", "leads_claim", "leads_sharecounter")


def _numbered(sql: str) -> str:
    """``%s`` as ``$1``, ``$2``…, ``%%`` as ``%`` (PREPARE's placeholders)."""
    count = iter(range(1, 10_000))
    return re.sub(r"%%|%s", lambda m: "%" if m.group() == "%%" else f"${next(count)}", sql)


def _generic_plan(cursor, sql: str, params) -> str:
    cursor.execute(f"PREPARE intake_lookup AS {_numbered(sql)}")
    try:
        execute = "EXECUTE intake_lookup"
        if params:
            execute += "(" + ", ".join(["%s"] * len(params)) + ")"
        cursor.execute(f"EXPLAIN {connection.ops.compose_sql(execute, params)}")
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        cursor.execute("DEALLOCATE intake_lookup")


def test_the_intakes_lookups_planned_once_for_any_values_still_use_an_index():
    make_world()
    AccountFactory(legal_name="Rijnmond Staal B.V.", website_domain="rijnmond-staal.example")
    new_lead(company_name="Rijnmond Staal B.V.", website="https://rijnmond-staal.example")
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        again = new_lead(
            company_name="Rijnmond Staal B.V.",
            website="https://rijnmond-staal.example",
            contact_email="inkoop@rijnmond-staal.example",
            external_id="crm-4711",
        )
    assert Lead.objects.filter(pk=again.pk).exists()
    sqls = [sql for sql, _params in statements]
    first = sqls.index("SET LOCAL plan_cache_mode = force_generic_plan")
    lookups = [
        (sql, params)
        for sql, params in statements[first:]
        if sql.startswith("SELECT") and " FOR UPDATE" not in sql and any(t in sql for t in TABLES)
    ]
    assert len(lookups) >= 3  # seen before, the account, the open leads of the company
    read_whole = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql, params in lookups:
            plan = _generic_plan(cursor, sql, params)
            if any(f"Seq Scan on {table}" in plan for table in TABLES):
                read_whole.append(f"{sql[:200]}\n{plan}")
    assert not read_whole, "\n\n".join(read_whole)


@pytest.mark.django_db(transaction=True)
def test_plan_once_holds_for_a_transaction_only():
    with pytest.raises(RuntimeError, match="atomic block"):
        prepared.plan_once()
    with transaction.atomic():
        prepared.plan_once()
        with connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            assert cursor.fetchone() == ("force_generic_plan",)
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("auto",)
