"""The audit of staff changes made in the portal's own pages (dealers, territories,
accounts): admin ``LogEntry`` rows, so the admin's history shows them too, each copied
into an immutable ``ChangeEvent`` that the pages read (see ``portal.audit``)."""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

from portal.audit.models import ChangeEvent
from portal.users.models import User


def audit_log(actor: User, obj: models.Model, flag: int, change_message: str | list) -> None:
    """Record a change of ``obj`` by ``actor``; ``flag`` is ``ADDITION`` or ``CHANGE``
    and ``change_message`` a text or the admin's list of changes."""
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=change_message,
        single_object=True,
    )


def audit_of(obj: models.Model, *, limit: int) -> list[ChangeEvent]:
    """The latest changes of ``obj``, newest first (one query), kept also when their
    author's account or the admin's log entry was deleted."""
    return list(
        ChangeEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        )
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
