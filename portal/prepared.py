"""Statements made once: the SQL of a hot lookup compiled once per shape and run with
each call's values (``rows_of``), and plans made once for any values for a transaction
whose statements have one good plan whatever their values (``plan_once``). A lead's way
in runs its lookups so: compiling their querysets, and PostgreSQL's planning of them,
cost more than running them. Both only on PostgreSQL; elsewhere the querysets run as
usual."""

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import psycopg.sql
from django.db import connection


def plan_once() -> None:
    """For the rest of the caller's transaction, PostgreSQL plans each statement with
    values once for any values (``plan_cache_mode = force_generic_plan``), and a
    statement the connection prepared keeps that plan, instead of planning it again for
    each call's values. For the lookups on a lead's way in, planning took longer than
    running them (0.8 ms against 0.03 ms for "seen before?": five alternatives, each
    weighed against 25 indexes of the leads, most of them partial).

    Only for transactions whose statements have one good plan whatever their values:
    lookups of a few keys, by an index (``rows_of`` writes constants into the SQL, so a
    partial index's condition holds in that plan), and writes. Never for lists of many
    values: a plan made for any list is one made for a short one. A no-op without
    server-side binding (nothing is prepared) and outside PostgreSQL."""
    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get(
        "server_side_binding"
    ):
        return
    if not connection.in_atomic_block:
        raise RuntimeError("plan_once() holds for a transaction: call it in an atomic block")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")


# --- SQL compiled once per shape ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: tuple  # per parameter: ("value", i), ("list", (i, j, …)) or ("const", parameter)
    compiler: object
    converters: dict


_compiled: dict = {}
_UNCACHABLE = object()
MAX_SHAPES = 500  # a process keeps this many; a caller whose shapes never end gets no more


def _probe(index: int, value):
    """A stand-in for ``value`` that no query holds by itself: the same type, unique."""
    if isinstance(value, str):
        return f"\x02probe{index}\x03"
    if isinstance(value, bool) or value is None:
        raise TypeError(f"a probe stands in for a text, a number or a moment, not {value!r}")
    if isinstance(value, int):
        return 7_000_000_000_000 + index
    if isinstance(value, datetime):
        return datetime(2001, 2, 3, tzinfo=UTC) + timedelta(microseconds=index + 1)
    raise TypeError(f"no probe for a {type(value).__name__}")


def _slot(param, probes: list) -> tuple:
    if isinstance(param, list) and param and all(p in probes for p in param):
        return ("list", tuple(probes.index(p) for p in param))
    if not isinstance(param, list) and any(param == p for p in probes):
        return ("value", probes.index(param))
    text = str(param)
    if any(isinstance(p, str) and p in text for p in probes):
        raise ValueError("a value was changed on its way into the SQL")
    return ("const", param)


def rows_of(shape, build, values: tuple) -> list[tuple]:
    """The rows of ``build(*values)``, a ``values_list`` queryset. On PostgreSQL its SQL is
    compiled once per ``shape`` (everything about the query that is not one of
    ``values``: which conditions there are, how many values each takes) and run with the
    next values as they are, instead of compiling the queryset again on every call,
    which costs more than running it for the lookups on a lead's way in. Elsewhere, and
    for a query whose values the ORM changes on their way into the SQL (e.g.
    ``icontains``), the queryset runs as usual.

    ``values`` are texts, numbers and moments; a list of them is passed as its items
    (``build`` gets them one by one, ``shape`` says how many)."""
    if connection.vendor != "postgresql":
        return list(build(*values))
    key = (connection.alias, shape)
    compiled = _compiled.get(key)
    if compiled is None:
        if len(_compiled) >= MAX_SHAPES:
            return list(build(*values))
        compiled = _compiled[key] = _compile(build, values)
    if compiled is _UNCACHABLE:
        return list(build(*values))
    params = [
        values[data] if kind == "value" else [values[i] for i in data] if kind == "list" else data
        for kind, data in compiled.slots
    ]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
    if compiled.converters:
        rows = [tuple(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)]
    return rows


def _compile(build, values: tuple):
    probes = [_probe(i, value) for i, value in enumerate(values)]
    queryset = build(*probes)
    query = queryset.query
    if query.extra_select or query.annotation_select or queryset._fields is None:
        return _UNCACHABLE  # only plain columns come back in the order asked for
    compiler = query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    try:
        slots = tuple(_slot(param, probes) for param in params)
    except ValueError:
        return _UNCACHABLE
    converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
    sql, slots = _inline_constants(sql, slots)
    return _Compiled(sql, slots, compiler, converters)


_PLACEHOLDER = re.compile(r"%%|%s")


def _inline_constants(sql: str, slots: tuple) -> tuple[str, tuple]:
    """``sql`` with its constant texts, whole numbers and truth values written into it
    as literals (quoted by psycopg), and the slots of the values left. A statement
    prepared once and planned once for any values can then use a partial index whose
    condition names a constant (``website_domain <> ''``, the open statuses): with the
    constant as a value, PostgreSQL cannot prove that the condition holds, and a
    ``LIMIT`` it cannot see is planned for a tenth of the table."""
    pieces, kept, index = [], [], 0
    texts = _PLACEHOLDER.split(sql)
    marks = _PLACEHOLDER.findall(sql)
    for text, mark in zip(texts, [*marks, None], strict=True):
        pieces.append(text)
        if mark is None:
            break
        if mark == "%%":
            pieces.append(mark)
            continue
        kind, data = slots[index]
        index += 1
        if kind == "const" and isinstance(data, str | int) and "\x00" not in str(data):
            literal = psycopg.sql.Literal(data).as_string(connection.connection)
            pieces.append(literal.replace("%", "%%"))
        else:
            pieces.append(mark)
            kept.append((kind, data))
    return "".join(pieces), tuple(kept)
