"""The audit of staff changes made in the portal's own pages (dealers, territories,
accounts): admin ``LogEntry`` rows, so the admin's history shows them too."""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

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


def audit_of(obj: models.Model, *, limit: int) -> list[LogEntry]:
    """The latest audited changes of ``obj``, newest first (one query)."""
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )
        .select_related("user")
        .order_by("-action_time", "-pk")[:limit]
    )
