"""The PostgreSQL cursor of the portal's connections (``DATABASES`` ``cursor_factory``).

Django's default for psycopg 3 merges the values into the SQL in Python (client-side
binding) and never prepares a statement. With ``DATABASE_SERVER_SIDE_BINDING`` (on by
default) the values travel apart from the SQL and psycopg prepares a statement the
connection runs a fifth time, so PostgreSQL parses it once per connection and may plan
it once: on the single-lead intake that saved about a fifth of PostgreSQL's CPU and a
tenth of the portal's (quoting every value in Python is gone too).

Statements about many rows at once (``_set_wise``) are never prepared: a prepared
lookup of a long list of values may be given a plan made for a short one. Their values
still travel apart (quoting 500 values into the SQL in Python cost a batch 4 % of its
time), except beyond the 65,535 the protocol carries per statement, which Django 5.2
does not know (a ``bulk_create`` of thousands of rows): those are bound in Python.

psycopg turns a statement's placeholders into PostgreSQL's (``%s`` into ``$1``) once per
statement text and keeps the answer, but only for statements of at most 50 values:
beyond that it reads the SQL again on every call (against ORMs' multi-row INSERTs, whose
texts rarely repeat). A lead's INSERT has more than 50 columns, so every intake paid for
that reading (about 4 % of its Python). ``_PortalQuery`` keeps it for every statement
the cursor may prepare (at most ``MAX_VALUES`` values, a text of at most 4 KB, psycopg's
own limit on length), in a cache of its own: the set-wise ones are still read afresh.
"""

import functools

import psycopg
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, PostgresQuery, _query2pg_nocache

MAX_PARAMS = 65_535  # what the protocol carries
MAX_VALUES = 100  # values in a statement beyond which it is bound in Python
MAX_LISTED = 50  # … or in one list of values


_placeholders = functools.lru_cache(maxsize=256)(_query2pg_nocache)


class _PortalQuery(PostgresQuery):
    """psycopg's conversion of a statement and its values, its placeholders kept per
    text for statements of up to ``MAX_VALUES`` values (psycopg's own stops at 50)."""

    __slots__ = ()

    def convert(self, query, vars):
        if vars is None or not isinstance(query, str | bytes) or len(vars) > MAX_VALUES:
            return super().convert(query, vars)
        query = self._ensure_bytes(query)
        if len(query) > MAX_CACHED_STATEMENT_LENGTH:
            return super().convert(query, vars)
        self.query, self._want_formats, self._order, self._parts = _placeholders(
            query, self._tx.encoding
        )
        self.dump(vars)


class PortalCursor(psycopg.Cursor):
    """Server-side binding; a statement about many rows is never prepared."""

    _query_cls = _PortalQuery

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if params is not None and _set_wise(params):
            if len(params) > MAX_PARAMS:
                query = psycopg.ClientCursor(self.connection).mogrify(query, params)
                params = None
            prepare = False  # planned for its values, every time
        return super().execute(query, params, prepare=prepare, binary=binary)


def _set_wise(params) -> bool:
    """A statement about many rows at once: many values (the protocol carries at most
    65,535), or a long list of them (a batch's lookups). Prepared, such a statement may get a plan
    made for any values, and PostgreSQL's estimate of a list it cannot see is a short
    one: for the 500 e-mail addresses of an import's batch that plan read every open
    lead (45 s instead of 4 s of lookups in a 100,000-row import). Unprepared, it is
    planned for its values every time, as without server-side binding."""
    if len(params) > MAX_VALUES:
        return True
    values = params.values() if isinstance(params, dict) else params
    return any(isinstance(v, list | tuple) and len(v) > MAX_LISTED for v in values)
