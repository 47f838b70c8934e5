"""The PostgreSQL cursor of the portal's connections (``DATABASES`` ``cursor_factory``).

Django's default for psycopg 3 merges the values into the SQL in Python (client-side
binding) and never prepares a statement. With ``DATABASE_SERVER_SIDE_BINDING`` (on by
default) the values travel apart from the SQL and psycopg prepares a statement the
connection runs a fifth time, so PostgreSQL parses and plans it once per connection:
on the single-lead intake that saved about a quarter of PostgreSQL's CPU and a sixth of
the portal's (quoting every value in Python is gone too).

One limit comes with it: the protocol carries at most 65,535 values per statement,
which Django 5.2 does not know (a ``bulk_create`` of thousands of rows, an ``__in`` of
a long list). Such a statement is bound in Python, as without this setting, and sent
as text: it works, only unprepared.
"""

import psycopg

MAX_PARAMS = 65_535


class PortalCursor(psycopg.Cursor):
    """Server-side binding, with a statement of more than ``MAX_PARAMS`` values bound
    in Python instead."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if params is not None and len(params) > MAX_PARAMS:
            query = psycopg.ClientCursor(self.connection).mogrify(query, params)
            params = None
        return super().execute(query, params, prepare=prepare, binary=binary)
