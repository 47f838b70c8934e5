"""Every admin ``LogEntry`` is copied into an immutable ``ChangeEvent`` in the same
transaction, whoever wrote it (the admin or ``audit_log``)."""

from django.contrib.admin.models import LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from portal.audit.models import ChangeEvent


@receiver(post_save, sender=LogEntry, dispatch_uid="audit.copy_log_entry")
def copy_log_entry(sender, instance: LogEntry, created: bool, raw: bool = False, **kwargs):
    if created and not raw and instance.content_type_id:
        ChangeEvent.from_log_entry(instance).save()
