"""``ChangeEvent``: one immutable line of an object's change history."""

import json

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.immutable import HistoryEvent


class ChangeEvent(HistoryEvent):
    """A change of a dealer, territory, account, the policy or any object the admin
    edits: what (``message``, as the admin words it), of which object, by whom (the
    ``actor``, and their name in ``data["actor_name"]`` for when the account is gone)."""

    class Kind(models.IntegerChoices):
        ADDED = 1, _("Added")
        CHANGED = 2, _("Changed")
        DELETED = 3, _("Deleted")

    kind = models.PositiveSmallIntegerField(_("kind"), choices=Kind.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name=_("content type")
    )
    object_id = models.CharField(_("object id"), max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(_("object"), max_length=200)
    message = models.TextField(_("change"), blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("change history")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self):
        return f"{self.object_repr}: {self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"

    @property
    def actor_label(self) -> str:
        """Who made the change, also after their account was deleted."""
        return str(self.actor) if self.actor_id else self.data.get("actor_name", "—")

    def describe(self) -> str:
        """The change in the reader's language, worded as the admin's history words it."""
        return LogEntry(action_flag=self.kind, change_message=self.message).get_change_message()

    @classmethod
    def from_log_entry(cls, entry: LogEntry) -> "ChangeEvent":
        message = entry.change_message
        if not isinstance(message, str):
            message = json.dumps(message)
        return cls(
            kind=entry.action_flag,
            content_type_id=entry.content_type_id,
            object_id=entry.object_id or "",
            object_repr=entry.object_repr[:200],
            message=message,
            actor_id=entry.user_id,
            at=entry.action_time,
            data={"actor_name": str(entry.user), "log_entry": entry.pk},
        )
