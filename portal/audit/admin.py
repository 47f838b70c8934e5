import json

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.admin import GenericTabularInline
from django.utils.translation import gettext_lazy as _

from portal.admin import ReadOnlyAdmin
from portal.audit.models import ChangeEvent


class ValuesInChangeMessage:
    """A model admin whose change history records each changed field's old and new
    value ("Status: active → paused"), not only the field's name."""

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if add or not form.changed_data:
            return message
        values = [
            f"{form.fields[name].label}: {form.initial.get(name, '')} → {form.cleaned_data[name]}"
            for name in form.changed_data
        ]
        inlines = [part for part in message if "name" in next(iter(part.values()))]
        if inlines:  # rows added, changed or deleted in the page's inlines, in words
            values.append(LogEntry(change_message=json.dumps(inlines)).get_change_message())
        return "; ".join(values)


class ChangeColumns:
    """The "by" and "change" columns of a history line, in the reader's language."""

    @admin.display(description=_("by"))
    def actor_name(self, event):
        return event.actor_label

    @admin.display(description=_("change"))
    def change(self, event):
        return event.describe()


class ChangeHistoryInline(ChangeColumns, ReadOnlyAdmin, GenericTabularInline):
    """The immutable change history at the foot of an object's admin page."""

    model = ChangeEvent
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ["at", "actor_name", "change"]
    readonly_fields = fields
    ordering = ["-at", "-pk"]
    extra = 0
    max_num = 0
    verbose_name_plural = _("change history")


@admin.register(ChangeEvent)
class ChangeEventAdmin(ChangeColumns, ReadOnlyAdmin, admin.ModelAdmin):
    """Every change of a dealer, territory, account, the policy or anything else edited
    in the admin, as immutable lines."""

    list_display = ["at", "content_type", "object_repr", "kind", "actor_name", "change"]
    list_filter = ["kind", "content_type"]
    search_fields = ["object_repr", "message", "actor__email", "actor__name"]
    date_hierarchy = "at"
    list_select_related = ["actor", "content_type"]
