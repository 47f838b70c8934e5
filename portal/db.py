"""Database helpers of our own.

``insert_many`` (model instances) and ``insert_rows`` (dicts) write many rows with
PostgreSQL's COPY, several times faster than ``bulk_create`` for thousands of rows
(events, stints, permission rows, imported leads), and a few rows with one plain INSERT
without the ORM's query compilation; on other databases they are ``bulk_create``.
Inside ``one_statement()`` the small ones wait and go in together, in one statement at
the end of the block. ``claim_due`` claims the rows whose timer ran out, each by one
transaction only (the SLA sweep's clocks, claim expiry). ``upsert_rows`` inserts or
updates a few rows by SQL made once per shape. The hot lookups' SQL made once:
``portal.prepared``.
"""

import contextlib
import dataclasses
import functools
import hashlib
import json
import operator
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from django.db import connection, models
from django.db.models.base import ModelState
from django.dispatch import Signal
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_countries.fields import CountryField
from psycopg.types.json import Jsonb

# Fewer rows than this go in with one INSERT: COPY's set-up costs the database more than
# it saves on a handful of rows (one routed lead writes one to three rows per table).
COPY_FROM = 20


T = TypeVar("T")


def _json_dumps_once():
    """``json.dumps`` with its default arguments, minus its per-call set-up.

    ``json.dumps(obj)`` builds a new C encoder (and a dict for circular references) on
    every call; an import encodes over 100,000 small event reasons and data, where that
    set-up is half the cost. This is the same C encoder made once with the same
    arguments, so the text is the same character for character; only a circular
    structure, which no row holds, fails differently (RecursionError, not ValueError).
    Without the C accelerator: ``json.dumps`` itself."""
    make = json.encoder.c_make_encoder
    if make is None:
        return json.dumps
    defaults = json.JSONEncoder()
    encode = make(
        None,  # no check for circular references
        defaults.default,
        json.encoder.encode_basestring_ascii,  # ensure_ascii=True
        defaults.indent,
        defaults.key_separator,
        defaults.item_separator,
        defaults.sort_keys,
        defaults.skipkeys,
        defaults.allow_nan,
    )
    return lambda obj: "".join(encode(obj, 0))


json_dumps = _json_dumps_once()


def insert_many(
    model: type[models.Model],
    objects: list[models.Model],
    *,
    batch_size: int = 2000,
    with_ids: bool = False,
) -> None:
    """Insert ``objects``. With ``with_ids`` their primary keys are set afterwards (on
    PostgreSQL: a few objects get them from ``RETURNING``; for many they are drawn from
    the table's sequence first, so COPY can be used; inside ``one_statement``, a few get
    them when the block ends)."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=batch_size)
        return
    small = len(objects) < COPY_FROM
    if with_ids and not small:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, len(objects)],
            )
            for obj, (next_id,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = next_id
                obj._state.adding, obj._state.db = False, connection.alias
    defaulted, fields, row_of = _instance_plan(model, with_pk=with_ids and not small)
    for obj in objects:
        for f in defaulted:
            if obj.__dict__.get(f.attname) is None:
                setattr(obj, f.attname, f.get_default())

    def set_ids(ids: list) -> None:  # (one INSERT … RETURNING: COPY's set-up saved)
        for obj, new_id in zip(objects, ids, strict=True):
            obj.pk = new_id
            obj._state.adding, obj._state.db = False, connection.alias

    _write(model, fields, [row_of(obj) for obj in objects], on_ids=set_ids if small else None)


class _Waiting(threading.local):
    parts: list | None = None  # inside ``one_statement``: the INSERTs that wait


_waiting = _Waiting()

# A statement takes at most 65,535 values; rows that would take more go in one by one.
MAX_VALUES = 30_000


@contextlib.contextmanager
def one_statement():
    """Inside the block, what ``insert_rows`` and ``insert_many`` are given below
    ``COPY_FROM`` rows is written at its end, all in one statement (on PostgreSQL: the
    INSERTs chained in one ``WITH``). A routed lead's stint, permissions, event and
    notifications then cost the database one statement and one round trip, not four.
    Primary keys asked for (``insert_many(with_ids=True)``) are set when the block ends,
    and nothing inside may read those rows back. COPY (many rows) and every other
    statement run at once: the foreign keys are checked at commit. A block inside another
    writes with the outer one; one left by an exception writes nothing (on other
    databases the block changes nothing: each insert is written as it comes)."""
    if _waiting.parts is not None or connection.vendor != "postgresql":
        yield
        return
    _waiting.parts = []
    try:
        yield
        parts = _waiting.parts
    finally:
        _waiting.parts = None
    _write_together(parts)


def _write(model, fields, rows: list[list], *, on_ids: Callable[[list], None] | None = None):
    """Write ``rows`` (values in ``fields``' order): below ``COPY_FROM`` rows one INSERT
    (… RETURNING the new primary keys, given to ``on_ids`` in the rows' order), or
    waiting for the end of ``one_statement``; else COPY."""
    if len(rows) < COPY_FROM and _waiting.parts is not None:
        _waiting.parts.append((model, tuple(fields), rows, on_ids))
        return
    with connection.cursor() as cursor:
        if len(rows) < COPY_FROM:
            sql = _insert_sql(model, tuple(fields), len(rows), on_ids is not None)
            cursor.execute(sql, [value for row in rows for value in row])
            if on_ids is not None:
                on_ids([new_id for (new_id,) in cursor.fetchall()])
            return
        table, columns = _table_and_columns(model, tuple(fields))
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _write_together(parts: list[tuple]) -> None:
    """The INSERTs that waited in ``one_statement``, as one statement; the new primary
    keys of each part that asked for them to its ``on_ids``."""
    values = [value for _model, _fields, rows, _on_ids in parts for row in rows for value in row]
    if len(parts) < 2 or len(values) > MAX_VALUES:
        for model, fields, rows, on_ids in parts:
            _write(model, fields, rows, on_ids=on_ids)
        return
    shape = tuple(
        (model, fields, len(rows), on_ids is not None) for model, fields, rows, on_ids in parts
    )
    with connection.cursor() as cursor:
        cursor.execute(_chained_sql(shape), values)
        if not any(on_ids for *_rest, on_ids in parts):
            return
        ids: dict[int, list] = {i: [] for i, part in enumerate(parts) if part[3] is not None}
        for part, new_id in cursor.fetchall():
            ids[part].append(new_id)
    for i, new_ids in ids.items():
        # (a sequence numbers the rows of one INSERT in their order)
        parts[i][3](sorted(new_ids))


@functools.lru_cache(maxsize=256)
def _chained_sql(shape: tuple) -> str:
    """``WITH w0 AS (INSERT …), w1 AS (INSERT … RETURNING id) SELECT 1, id FROM w1``: the
    INSERTs of ``shape`` (model, fields, rows, returning) in one statement, which returns
    (part, new primary key) for the parts that return them. PostgreSQL runs every
    data-modifying ``WITH`` part, read or not; without one that returns, the last INSERT
    is the statement itself."""
    inserts = [_insert_sql(*part) for part in shape]
    returned = [
        f"SELECT {i}, {connection.ops.quote_name(model._meta.pk.column)} FROM w{i}"
        for i, (model, _fields, _rows, returning) in enumerate(shape)
        if returning
    ]
    if not returned:
        chained = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(inserts[:-1]))
        return f"WITH {chained} {inserts[-1]}"
    chained = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(inserts))
    return f"WITH {chained} {' UNION ALL '.join(returned)}"


@functools.lru_cache(maxsize=256)
def _table_and_columns(model, fields: tuple) -> tuple[str, str]:
    table = connection.ops.quote_name(model._meta.db_table)
    return table, ", ".join(connection.ops.quote_name(f.column) for f in fields)


@functools.lru_cache(maxsize=256)
def _insert_sql(model, fields: tuple, rows: int, returning: bool) -> str:
    """One INSERT of ``rows`` rows (made once per shape: a lead's way in writes a few
    rows to five tables)."""
    table, columns = _table_and_columns(model, fields)
    placeholders = f"({', '.join(['%s'] * len(fields))})"
    sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * rows)}"
    if returning:
        sql += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    return sql


@functools.lru_cache(maxsize=256)
def _instance_plan(model: type[models.Model], *, with_pk: bool) -> tuple:
    """What ``insert_many`` needs to write instances of ``model``, made once per model:
    the fields whose default fills a value left out, the columns (the primary key only
    ``with_pk``) and a function giving an instance's values in their order."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if with_pk or not (f.primary_key and isinstance(f, models.AutoField))
    ]
    defaulted = tuple(f for f in fields if f.has_default() and not f.null)
    return (defaulted, *_rows_of_instances(fields))


def _rows_of_instances(fields: list) -> tuple[list, Callable[[models.Model], list]]:
    """``fields`` reordered, and a function giving an instance's values in that order:
    first the columns stored as they are, read from the instance's ``__dict__`` by one
    ``itemgetter`` call (a lead has 50 of them: a Python call per column and row made a
    million calls for 20,000 imported leads), then the ones ``_converter`` converts. The
    order of the columns of an INSERT or a COPY is ours to choose."""
    pairs = [(f, _converter(f)) for f in fields]
    as_they_are = [f for f, convert in pairs if convert is None]
    converted = [(f, convert) for f, convert in pairs if convert is not None]
    read = _reader([f.attname for f in as_they_are])
    converters = [convert for _f, convert in converted]

    def row_of(obj: models.Model) -> list:
        return [*read(obj.__dict__), *[convert(obj) for convert in converters]]

    return [*as_they_are, *(f for f, _convert in converted)], row_of


def _reader(names: list[str]) -> Callable[[dict], tuple]:
    """Reads the values of ``names`` from a dict, as a tuple (``itemgetter`` of one name
    gives the lone value)."""
    if len(names) == 1:
        return lambda values: (values[names[0]],)
    return operator.itemgetter(*names) if names else lambda values: ()


def _converter(field):
    """A fast value getter for COPY, or None for a value stored as it is in the
    instance's ``__dict__``: psycopg adapts plain Python values itself; only the types
    Django converts on the way in need Django (JSON, auto timestamps). Values are read
    from ``__dict__``, past the field descriptors (django-countries' builds a
    ``Country`` object on every read; the stored code is what goes in)."""
    attname = field.attname
    if isinstance(field, models.JSONField):
        return lambda obj: (
            None if (v := obj.__dict__[attname]) is None else Jsonb(v, dumps=json_dumps)
        )
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.pre_save(obj, add=True)
    plain = field.get_internal_type() in _PLAIN_TYPES
    if plain and type(field).__module__.startswith("django."):
        return None
    if isinstance(field, CountryField) and not field.multiple:
        return None
    return lambda obj: field.get_db_prep_save(getattr(obj, attname), connection)


_PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EmailField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


class Median(models.Aggregate):
    """PostgreSQL's ``percentile_cont(0.5) WITHIN GROUP (ORDER BY …)``; with a
    ``filter`` Django appends ``FILTER (WHERE …)``, which ordered-set aggregates accept."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = models.FloatField()


# Django's own text fields, whose ``get_db_prep_value`` returns a ``str`` as it is
# (``to_python``): an import looks up hundreds of e-mail addresses, domains or names per
# query, several queries per batch, and each value took three method calls for nothing.
_TEXT_FIELDS = frozenset({models.CharField, models.EmailField, models.TextField})


@models.Field.register_lookup
class Any(models.Lookup):
    """``field__any=[…]``: like ``__in``, but on PostgreSQL the list travels as ONE array
    parameter (``= ANY(%s)``), which is much cheaper to send than hundreds of
    placeholders; elsewhere it is a plain ``IN``."""

    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        field = self.lhs.output_field
        if type(field) in _TEXT_FIELDS and all(type(v) is str for v in values):
            prepped = values  # what Django's own text fields make of a str: the str
        else:
            prepped = [field.get_db_prep_value(v, connection, prepared=False) for v in values]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, prepped]
        return f"{lhs} IN ({', '.join(['%s'] * len(prepped))})", [*lhs_params, *prepped]


models.ForeignKey.register_lookup(Any)


def insert_rows(model: type[models.Model], rows: list[dict], *, batch_size: int = 2000) -> None:
    """Insert rows given as ``{attname: value}`` dicts, without building model instances
    on PostgreSQL (the cost of ``Model.__init__`` dominates big batches); fields left
    out get their defaults. COPY from ``COPY_FROM`` rows, one INSERT below. Elsewhere:
    ``bulk_create`` of instances."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField))
    ]
    # Per column: its name, a factory of its default (called per row: a timestamp, a
    # new dict) or else its constant default (computed once: "" for text fields, None
    # for nullable ones), and whether it is JSON. Resolving this once per call, not
    # once per row and column, halves the cost of building the rows of a big batch.
    plan = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            factory, constant = timezone.now, None
        elif f.has_default() and callable(f.default):
            factory, constant = _default_factory(f), None
        else:
            factory, constant = None, f.get_default()
        plan.append((f.attname, factory, constant, isinstance(f, models.JSONField)))

    def values(row: dict) -> list:
        out = []
        for name, factory, constant, is_json in plan:
            if name in row:
                value = row[name]
            elif factory is None:
                value = constant
            else:
                value = factory()
            if is_json and value is not None:
                value = Jsonb(value, dumps=json_dumps)
            out.append(value)
        return out

    _write(model, fields, [values(row) for row in rows])


def upsert_rows(
    model: type[models.Model],
    fields: tuple[str, ...],
    rows: list[tuple],
    *,
    unique: tuple[str, ...],
    update: tuple[str, ...],
) -> None:
    """Insert a few rows (values in ``fields``' order, every column without a default
    named), each one whose ``unique`` columns are taken already updating that row's
    ``update`` columns instead: ``bulk_create(update_conflicts=True)`` without
    compiling it again per call (on PostgreSQL the SQL is made once per shape; the
    share counters of every routed lead go in this way)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows],
            update_conflicts=True,
            unique_fields=list(unique),
            update_fields=list(update),
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _upsert_sql(model, fields, len(rows), unique, update),
            [value for row in rows for value in row],
        )


@functools.lru_cache(maxsize=64)
def _upsert_sql(model, fields: tuple, rows: int, unique: tuple, update: tuple) -> str:
    """``_insert_sql``'s INSERT of ``fields`` (attribute names) with its ON CONFLICT."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    columns = [connection.ops.quote_name(by_name[name].column) for name in (*unique, *update)]
    insert = _insert_sql(model, tuple(by_name[name] for name in fields), rows, False)
    on = ", ".join(columns[: len(unique)])
    sets = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[len(unique) :])
    return f"{insert} ON CONFLICT ({on}) DO UPDATE SET {sets}"


def lock_names(names) -> None:
    """Hold PostgreSQL transaction-level advisory locks on ``names`` (strings) until the
    surrounding transaction ends: for serialising work on something that has no row to
    lock yet (a company two dealers claim at the same moment). Taken in a fixed order,
    so two callers never deadlock on them. Elsewhere (SQLite, the demo) a no-op: SQLite
    runs one write transaction at a time."""
    if connection.vendor != "postgresql":
        return
    keys = sorted(
        {
            int.from_bytes(hashlib.blake2b(n.encode(), digest_size=8).digest(), "big", signed=True)
            for n in names
        }
    )
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _default_factory(field) -> Callable[[], object]:
    """What makes ``field``'s callable default per row: the callable itself (``dict``,
    ``timezone.now``), which is all ``Field.get_default`` calls, through two method calls
    per row; a field class with a ``get_default`` of its own keeps it (a foreign key's
    turns an instance into its id)."""
    if type(field).get_default is models.Field.get_default:
        return field.default
    return field.get_default


class Instances:
    """Build many unsaved instances of one model fast: ``Instances(Lead)(company_name=…)``.

    ``Model.__init__`` resolves every field's default and descriptor for every instance;
    here the constant defaults are computed once and copied, callable ones
    (``timezone.now``, ``dict``) are called per instance, and the given values go
    through the field descriptors as usual. A model with ``pre_init`` or ``post_init``
    receivers gets its constructor."""

    def __init__(self, model: type[models.Model]):
        prototype = model()
        self.model = model
        self.fast = not (
            models.signals.pre_init.has_listeners(model)
            or models.signals.post_init.has_listeners(model)
        )
        self.constant = {k: v for k, v in prototype.__dict__.items() if k != "_state"}
        self.per_instance = {
            f.attname: _default_factory(f)
            for f in model._meta.concrete_fields
            if f.has_default() and callable(f.default)
        }

    def __call__(self, **values) -> models.Model:
        if not self.fast:  # receivers expect the constructor
            return self.model(**values)
        obj = self.model.__new__(self.model)
        obj.__dict__.update(self.constant)
        obj._state = ModelState()
        for attname, default in self.per_instance.items():
            if attname not in values:
                obj.__dict__[attname] = default()
        for name, value in values.items():
            setattr(obj, name, value)
        return obj


def claim_due(
    model: type[models.Model],
    due: str,
    *,
    returning: type[T],
    as_of: datetime,
    limit: int,
    clear: Sequence[str] = (),
    set_values: Mapping[str, object] | None = None,
    where: Mapping[str, object] | None = None,
) -> list[T]:
    """Claim up to ``limit`` rows of ``model`` whose ``due`` column is at or before
    ``as_of`` and that no other transaction holds, and return them as ``returning`` (a
    dataclass whose fields are the columns to read): one ``UPDATE … RETURNING`` that sets
    the ``clear`` columns to NULL and the ``set_values`` columns to their values, so two
    sweeps never get the same row. ``where`` narrows the rows to those whose columns
    equal the given values. Columns are named, never SQL: each must be one of the
    model's."""
    columns = {field.column for field in model._meta.concrete_fields}
    set_values, where = dict(set_values or {}), dict(where or {})
    wanted = [field.name for field in dataclasses.fields(returning)]
    unknown = ({due, *clear, *set_values, *where, *wanted}) - columns
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    if not clear and not set_values:
        raise ValueError("claim_due must clear or set a column, or it would claim a row twice")
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = [f"{quote(name)} = NULL" for name in clear]
    assignments += [f"{quote(name)} = %s" for name in set_values]
    conditions = [f"{quote(due)} <= %s", *(f"{quote(name)} = %s" for name in where)]
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    sql = (
        f"UPDATE {table} SET {', '.join(assignments)} WHERE id IN ("
        f"SELECT id FROM {table} WHERE {' AND '.join(conditions)} ORDER BY {quote(due)} "
        f"LIMIT %s{skip_locked}) RETURNING {', '.join(quote(name) for name in wanted)}"
    )
    params = [
        *set_values.values(),
        connection.ops.adapt_datetimefield_value(as_of),
        *where.values(),
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    moments = [name.endswith("_at") for name in wanted]
    return [
        returning(
            **{
                name: aware(value) if moment else value
                for name, value, moment in zip(wanted, row, moments, strict=True)
            }
        )
        for row in rows
    ]


def aware(value):
    """A datetime from a raw row (SQLite returns text, PostgreSQL an aware value)."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# Sent with the model as sender when a queryset writes rows in bulk (``update``,
# ``bulk_create``), which ``post_save`` does not cover; ``fields`` names what an update set.
rows_written = Signal()


class SignalledQuerySet(models.QuerySet):
    """A queryset whose bulk writes send ``rows_written``: the models the routing world
    is read from use it (``leads.signals``), so no ``.update()`` can leave a stale copy.
    (``bulk_update`` goes through ``update``; deletes send ``post_delete`` per row.)"""

    def update(self, **kwargs):
        count = super().update(**kwargs)
        rows_written.send(sender=self.model, fields=frozenset(kwargs))
        return count

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        rows_written.send(sender=self.model, fields=None)
        return created
