"""``portal.db``'s inserts: the same rows whether a few go in with one INSERT or many with
COPY (on PostgreSQL; elsewhere ``bulk_create``), with ids, defaults and JSON intact."""

import json

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from portal import db, prepared
from portal.db import COPY_FROM, insert_many, insert_rows, json_dumps
from portal.users.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(JSON_VALUES)
def test_json_dumps_writes_what_json_dumps_writes(value):
    assert json_dumps(value) == json.dumps(value)


def test_json_dumps_refuses_what_json_dumps_refuses():
    with pytest.raises(TypeError):
        json.dumps({"at": timezone.now()})
    with pytest.raises(TypeError):
        json_dumps({"at": timezone.now()})


def notification(user, n: int, **extra) -> Notification:
    return Notification(
        recipient=user,
        kind=Notification.Kind.ASSIGNED,
        subject={"msgid": "Lead %(n)s", "params": {"n": n, "ü": "ß"}},
        created_at=timezone.now(),
        **extra,
    )


@pytest.mark.parametrize("count", [1, 3, COPY_FROM, COPY_FROM + 5])
def test_insert_many_sets_ids_and_keeps_defaults_and_json(count):
    user = UserFactory()
    objects = [notification(user, n) for n in range(count)]
    insert_many(Notification, objects, with_ids=True)
    assert all(obj.pk is not None and not obj._state.adding for obj in objects)
    stored = {row.pk: row for row in Notification.objects.filter(recipient=user)}
    assert sorted(stored) == sorted(obj.pk for obj in objects)
    for obj in objects:
        row = stored[obj.pk]
        assert row.subject == obj.subject  # the same object went to the same id
        assert (row.url, row.read_at, row.send_email) == ("", None, True)


@pytest.mark.parametrize("count", [2, COPY_FROM + 1])
def test_insert_rows_fills_left_out_fields_with_their_defaults(count):
    user = UserFactory()
    insert_rows(
        Notification,
        [
            {
                "recipient_id": user.pk,
                "kind": Notification.Kind.ASSIGNED,
                "subject": {"msgid": str(n)},
                "created_at": timezone.now(),
            }
            for n in range(count)
        ],
    )
    rows = list(Notification.objects.filter(recipient=user).order_by("pk"))
    assert [row.subject["msgid"] for row in rows] == [str(n) for n in range(count)]
    assert {(row.url, row.read_at, row.lead_id) for row in rows} == {("", None, None)}


def test_claim_due_names_columns_and_answers_with_the_dataclass():
    from dataclasses import dataclass
    from datetime import timedelta

    from django.utils import timezone

    from leads.models import Lead
    from leads.services.sla.store import DueLead
    from portal.db import claim_due
    from tests.leads.pipeline_world import new_lead

    lead = new_lead()
    Lead.objects.filter(pk=lead.pk).update(reminder_due_at=timezone.now() - timedelta(minutes=1))

    (row,) = claim_due(
        Lead,
        "reminder_due_at",
        clear=["reminder_due_at"],
        returning=DueLead,
        as_of=timezone.now(),
        limit=10,
    )
    assert isinstance(row, DueLead) and row.id == lead.pk and row.is_open
    assert Lead.objects.get(pk=lead.pk).reminder_due_at is None
    again = {"clear": ["reminder_due_at"], "returning": DueLead, "limit": 10}
    assert claim_due(Lead, "reminder_due_at", as_of=timezone.now(), **again) == []

    @dataclass
    class Sneaky:
        id: int

    with pytest.raises(ValueError, match="no column"):
        claim_due(
            Lead,
            "reminder_due_at",
            clear=["reminder_due_at = NULL; DROP TABLE leads_lead; --"],
            returning=Sneaky,
            as_of=timezone.now(),
            limit=1,
        )


# --- rows_of: SQL compiled once per shape ------------------------------------------------


def _by_email_since(email, since):
    from portal.users.models import User

    return User.objects.filter(email=email, date_joined__gte=since).values_list("pk", "email")


def test_rows_of_gives_what_the_queryset_gives_for_every_value_of_one_shape():
    from datetime import timedelta

    people = [UserFactory(email=f"p{n}@example.com") for n in range(3)]
    since = timezone.now() - timedelta(days=1)
    for person in people:
        rows = prepared.rows_of("by-email", _by_email_since, (person.email, since))
        assert rows == list(_by_email_since(person.email, since)) == [(person.pk, person.email)]
    assert prepared.rows_of("by-email", _by_email_since, ("nobody@example.com", since)) == []
    later = timezone.now() + timedelta(days=1)
    assert prepared.rows_of("by-email", _by_email_since, (people[0].email, later)) == []
    if connection.vendor == "postgresql":  # compiled once, then run with each value
        assert prepared._compiled[(connection.alias, "by-email")] is not prepared._UNCACHABLE


def test_rows_of_passes_a_list_of_values_and_converts_what_it_reads():
    from portal.users.models import User

    people = [UserFactory(email=f"q{n}@example.com") for n in range(3)]

    def build(*emails):
        return (
            User.objects.filter(email__any=list(emails))
            .order_by("pk")
            .values_list("email", "date_joined")
        )

    two = (people[0].email, people[2].email)
    rows = prepared.rows_of(("emails", 2), build, two)
    assert rows == list(build(*two))
    assert [email for email, _joined in rows] == list(two)
    assert all(joined.tzinfo is not None for _email, joined in rows)
    other = (people[1].email, "nobody@example.com")
    assert prepared.rows_of(("emails", 2), build, other) == [
        (people[1].email, people[1].date_joined)
    ]


def test_rows_of_runs_a_query_whose_values_the_orm_changes_as_a_queryset():
    from portal.users.models import User

    ada = UserFactory(email="ada.lovelace@example.com")

    def build(part):
        return User.objects.filter(email__icontains=part).values_list("pk")

    assert prepared.rows_of("contains", build, ("LOVELACE",)) == [(ada.pk,)]
    assert prepared.rows_of("contains", build, ("babbage",)) == []
    if connection.vendor == "postgresql":
        assert prepared._compiled[(connection.alias, "contains")] is prepared._UNCACHABLE


def test_any_sends_texts_as_the_field_prepares_them():
    """``__any`` passes a list of texts on as they are, as Django's text fields would
    prepare them; other values still go through the field."""
    from leads.models import Lead

    texts = ["ada@example.com", "Ada@Example.com", ""]
    field = Lead._meta.get_field("contact_email")
    prepared = [field.get_db_prep_value(v, connection, prepared=False) for v in texts]
    _sql, params = Lead.objects.filter(contact_email__any=texts).query.sql_with_params()
    assert prepared in params or list(params) == prepared
    _sql, params = Lead.objects.filter(pk__any=["7", 8]).query.sql_with_params()
    assert [7, 8] in params or list(params) == [7, 8]


# --- one_statement: the small INSERTs of a block in one statement ------------------------


def _counter_rows(prefix: str, n: int) -> list[dict]:
    return [{"scope": f"{prefix}:{i}", "owner": "o", "count": i} for i in range(n)]


def test_one_statement_writes_the_rows_of_several_tables_at_its_end_in_one_statement():
    from django.test.utils import CaptureQueriesContext

    from leads.models import ShareCounter

    user = UserFactory()
    objects = [notification(user, n) for n in range(3)]
    postgres = connection.vendor == "postgresql"
    with CaptureQueriesContext(connection) as captured, db.one_statement():
        insert_rows(ShareCounter, _counter_rows("together", 2))
        insert_many(Notification, objects, with_ids=True)
        insert_rows(Notification, [{"recipient_id": user.pk, "kind": "info", "subject": {}}])
        if postgres:  # nothing written yet, no ids yet
            assert not captured.captured_queries
            assert [obj.pk for obj in objects] == [None] * 3
    assert len(captured) == (1 if postgres else 3)
    if postgres:
        assert captured[0]["sql"].startswith("WITH w0 AS (INSERT INTO")
    stored = {row.pk: row for row in Notification.objects.filter(recipient=user)}
    assert len(stored) == 4
    for obj in objects:  # each object got the id of its own row
        assert not obj._state.adding
        assert stored[obj.pk].subject == obj.subject
    counts = ShareCounter.objects.filter(scope__startswith="together:").order_by("scope")
    assert [(c.scope, c.count) for c in counts] == [("together:0", 0), ("together:1", 1)]


def test_one_statement_left_by_an_error_writes_nothing_and_copies_many_rows_at_once():
    from leads.models import ShareCounter

    waiting = connection.vendor == "postgresql"  # (elsewhere the block changes nothing)
    with pytest.raises(ZeroDivisionError), db.one_statement():
        insert_rows(ShareCounter, _counter_rows("failed", 2))
        1 / 0  # noqa: B018
    assert ShareCounter.objects.filter(scope__startswith="failed:").exists() is not waiting

    with db.one_statement():
        insert_rows(ShareCounter, _counter_rows("copied", COPY_FROM))
        assert ShareCounter.objects.filter(scope__startswith="copied:").count() == COPY_FROM
        with db.one_statement():  # an inner block writes with the outer one
            insert_rows(ShareCounter, _counter_rows("inner", 1))
        assert ShareCounter.objects.filter(scope="inner:0").exists() is not waiting
    assert ShareCounter.objects.filter(scope="inner:0").exists()


# --- rows_of writes constants into its SQL ------------------------------------------------


def test_rows_of_writes_constants_into_the_sql_and_sends_only_the_values():
    from portal.users.models import User

    odd = "50% O'Brien; \\ %s"
    person = UserFactory(email="obrien@example.com", name=odd)
    UserFactory(email="other@example.com", name="Someone else")

    def build(email):
        return User.objects.filter(email=email, name=odd, is_active=True).values_list("pk")

    assert prepared.rows_of("constants", build, ("obrien@example.com",)) == [(person.pk,)]
    assert prepared.rows_of("constants", build, ("other@example.com",)) == []
    if connection.vendor == "postgresql":
        compiled = prepared._compiled[(connection.alias, "constants")]
        assert compiled.slots == (("value", 0),)  # the name and the truth value are in it
        assert "O''Brien; " in compiled.sql and "%%s" in compiled.sql  # (quoted by psycopg)


def test_upsert_rows_inserts_new_rows_and_updates_the_taken_ones():
    from leads.models import ShareCounter

    ShareCounter.objects.create(scope="territory:1", owner="dealer:1", count=5)
    ShareCounter.objects.create(scope="territory:1", owner="dealer:2", count=9)
    fields, keys = ("scope", "owner", "count"), {"unique": ("scope", "owner"), "update": ("count",)}
    db.upsert_rows(ShareCounter, fields, [("territory:1", "dealer:1", 6), ("territory:1", "dealer:3", 1)], **keys)  # fmt: skip
    db.upsert_rows(ShareCounter, fields, [("territory:1", "dealer:3", 2)], **keys)
    db.upsert_rows(ShareCounter, fields, [], **keys)
    counts = dict(ShareCounter.objects.filter(scope="territory:1").values_list("owner", "count"))
    assert counts == {"dealer:1": 6, "dealer:2": 9, "dealer:3": 2}
