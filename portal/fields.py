"""Model fields of our own.

``ChoiceListField`` stores a list of choice codes (a dealer's sectors) as JSON, so it
works the same on SQLite and PostgreSQL, and edits as a group of checkboxes.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChoiceListField(models.JSONField):
    """A list of codes from ``item_choices``, stored as a JSON array, sorted and unique."""

    def __init__(self, *args, item_choices=(), **kwargs):
        self.item_choices = list(item_choices)
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["item_choices"] = self.item_choices
        if kwargs.get("default") is list:
            del kwargs["default"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    def get_prep_value(self, value):
        if value is not None:
            value = sorted(set(value))
        return super().get_prep_value(value)

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        allowed = {code for code, _label in self.item_choices}
        unknown = sorted(set(value or ()) - allowed)
        if unknown:
            raise ValidationError(
                _("Unknown value(s): %(values)s"), params={"values": ", ".join(unknown)}
            )

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            choices=self.item_choices,
            required=not self.blank,
            label=self.verbose_name,
            help_text=self.help_text,
            widget=forms.CheckboxSelectMultiple,
        )

    def labels(self, value) -> list[str]:
        names = dict(self.item_choices)
        return [str(names.get(code, code)) for code in value or ()]
