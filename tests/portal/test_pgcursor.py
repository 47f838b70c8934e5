"""PostgreSQL connections bind values on the server and prepare what they run often
(``portal/pgcursor.py``); a statement over the protocol's 65,535 values still works."""

import json

import pytest
from django.db import connection

from leads.models import Account
from portal.pgcursor import MAX_PARAMS, _placeholders
from tests.factories import AccountFactory
from tests.portal.test_settings import read_settings

OPTIONS = """
import json, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()
from django.conf import settings
options = settings.DATABASES["default"].get("OPTIONS", {})
print(json.dumps({k: getattr(v, "__name__", v) for k, v in options.items()}))
"""

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _prepared(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchone()[0]


def test_a_statement_run_often_is_prepared_once_and_its_values_travel_apart():
    account = AccountFactory()
    for _ in range(7):
        assert Account.objects.filter(pk=account.pk, legal_name=account.legal_name).exists()
    assert _prepared('"leads_account"."legal_name" = $2') == 1


def test_a_long_list_of_values_is_never_prepared_so_it_is_planned_for_its_values():
    accounts = AccountFactory.create_batch(2)
    names = [a.legal_name for a in accounts] + [f"nobody {n}" for n in range(498)]
    for _ in range(7):
        assert Account.objects.filter(legal_name__any=names).count() == 2
        assert Account.objects.filter(legal_name__any=names[:2]).count() == 2
    assert _prepared('"leads_account"."legal_name" = ANY($1)') == 1  # the short list only


@pytest.mark.parametrize("named", [False, True])
def test_a_statement_of_over_50_values_is_read_once_and_each_call_gets_its_own_values(named):
    """psycopg reads the placeholders of a statement of over 50 values again on every
    call; the portal keeps them, as for a short one (a lead's INSERT has more)."""
    names = [f"v{n}" for n in range(60)]
    if named:
        sql = "SELECT " + ", ".join(f"%({name})s::int" for name in names)
    else:
        sql = "SELECT " + ", ".join(["%s::int"] * 60)
    before = _placeholders.cache_info()
    for start in range(3):
        values = list(range(start, start + 60))
        with connection.cursor() as cursor:
            cursor.execute(sql, dict(zip(names, values, strict=True)) if named else values)
            assert list(cursor.fetchone()) == values
    after = _placeholders.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)


def test_a_statement_with_more_values_than_the_protocol_carries_still_works():
    accounts = AccountFactory.create_batch(3)
    wanted = [account.pk for account in accounts] + list(range(-MAX_PARAMS - 10, 0))
    assert len(wanted) > MAX_PARAMS
    assert Account.objects.filter(pk__in=wanted).count() == 3


def test_server_side_binding_is_on_by_default_and_can_be_switched_off():
    url = "postgres://portal@db.internal:5432/portal"
    on = read_settings(OPTIONS, DATABASE_URL=url)
    assert on.returncode == 0, on.stderr
    assert json.loads(on.stdout) == {
        "server_side_binding": True,
        "prepare_threshold": 5,
        "cursor_factory": "PortalCursor",
    }
    off = read_settings(OPTIONS, DATABASE_URL=url, DATABASE_SERVER_SIDE_BINDING="0")
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout) == {}
