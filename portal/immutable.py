"""History rows that are inserted and never changed (lead and claim events): the model
and its querysets refuse updates and deletes; a database trigger refuses them too (see
``trigger_sql``, used by the migrations that create such tables)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def _refuse(model, action: str):
    raise ValidationError(
        f"{model._meta.verbose_name_plural} are immutable and cannot be {action}."
    )


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _refuse(self.model, "updated")

    def delete(self):
        _refuse(self.model, "deleted")


class ImmutableModel(models.Model):
    """Abstract base: ``save`` inserts only, ``delete`` refuses."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            _refuse(self, "updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse(self, "deleted")


class HistoryEvent(ImmutableModel):
    """Abstract base of a history line: who (``actor``; None for the portal itself), when
    (``at``), why (``reason``: a translatable message ``{"msgid", "params"}`` or free
    ``{"text"}``, see ``portal.messages``) and any details (``data``). Subclasses add
    the object the line belongs to and their ``kind`` choices."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"


def trigger_sql(table: str) -> tuple[dict, dict]:
    """SQL that makes ``table`` refuse updates (and, on PostgreSQL, deletes), and the SQL
    that removes it, per database vendor. One update passes: emptying ``actor_id`` and
    nothing else, which is what deleting a user does (``on_delete=SET_NULL``), so a
    person's lines outlive their account. SQLite gets no delete trigger: Django's test
    flush deletes rows there (PostgreSQL's flush truncates, which fires no row trigger)."""
    create = {
        "postgresql": [
            f"""
            CREATE OR REPLACE FUNCTION {table}_immutable() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
                   AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id' THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION '{table} rows are immutable (% refused)', TG_OP;
            END;
            $$ LANGUAGE plpgsql;
            """,
            f"""
            CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_immutable();
            """,
        ],
        "sqlite": [
            f"""
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            WHEN NOT (OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL)
            BEGIN SELECT RAISE(ABORT, '{table} rows are immutable (UPDATE refused)'); END;
            """,
        ],
    }
    drop = {
        "postgresql": [
            f"DROP TRIGGER IF EXISTS {table}_no_update ON {table};",
            f"DROP FUNCTION IF EXISTS {table}_immutable();",
        ],
        "sqlite": [f"DROP TRIGGER IF EXISTS {table}_no_update;"],
    }
    return create, drop


def _run(statements: dict):
    """A ``RunPython`` function that executes this vendor's ``statements``."""

    def apply(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return apply


def _recreate(table: str):
    create, drop = trigger_sql(table)

    def apply(apps, schema_editor):
        _run(drop)(apps, schema_editor)
        _run(create)(apps, schema_editor)

    return apply


def immutable_table(table: str, *, refresh: bool = False):
    """A migration operation that (re)creates the trigger of ``trigger_sql`` on
    ``table``; reversed, it removes it (a ``refresh`` of an older trigger keeps it)."""
    from django.db import migrations

    _create, drop = trigger_sql(table)
    return migrations.RunPython(
        _recreate(table), migrations.RunPython.noop if refresh else _run(drop)
    )


def immutable_table_lifted(table: str):
    """A migration operation that removes the trigger of ``trigger_sql`` from ``table``
    so that the migration's next steps can fill a new column of its existing rows (end
    them with ``immutable_table(table, refresh=True)``); reversed, it puts the trigger
    back, also where SQLite rebuilt the table (which drops its triggers) to remove
    that column."""
    from django.db import migrations

    _create, drop = trigger_sql(table)
    return migrations.RunPython(_run(drop), _recreate(table))
