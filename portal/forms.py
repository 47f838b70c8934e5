"""What the apps' views and forms share: service errors on forms, the validators
of typed input that the database could not take, and the date and time widgets."""

from datetime import UTC, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from portal.choices import ROUTED_COUNTRIES


def add_service_error(form, error: ValidationError, *, fields: dict | None = None) -> None:
    """Put a service's ``ValidationError`` on ``form``: per field where the field is on
    the form, otherwise as a form-wide error. ``fields`` maps a service's field to the
    form's where their names differ (None: form-wide)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    fields = fields or {}
    for name, errors in error.error_dict.items():
        target = fields.get(name, name)
        form.add_error(target if target in form.fields else None, errors)


def error_text(error: ValidationError) -> str:
    """A service's ``ValidationError`` as one line, for a message."""
    return " ".join(error.messages)


# PostgreSQL refuses a UTC offset of 16 hours or more ("time zone displacement out of
# range"); Python's datetime holds the years 1 to 9999 only, in UTC as much as locally.
MAX_UTC_OFFSET = timedelta(hours=16)
DATETIME_OUT_OF_RANGE = _(
    "Enter a date and time between the years 1 and 9999 with a time zone offset between "
    "-15:59 and +15:59."
)


def validate_storable_datetime(value: datetime) -> None:
    """A date-time that PostgreSQL and SQLite can compare with a column: a UTC offset
    within ±15:59 and, in UTC, a moment between the years 1 and 9999. Date-time fields
    that take typed input (filters, query parameters) use it as a validator, so an
    unusable moment is a form error or a 400 instead of a database error."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) >= MAX_UTC_OFFSET:
        raise ValidationError(DATETIME_OUT_OF_RANGE, code="out_of_range")
    try:
        value.astimezone(UTC)
    except OverflowError as error:
        raise ValidationError(DATETIME_OUT_OF_RANGE, code="out_of_range") from error


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is ``yyyy-mm-dd`` whatever the reader's
    language (the browser shows it in the reader's format and drops any other value), so
    the format is fixed here instead of the language's first input format ("04-12-2026"
    in Dutch). Every date field of a form uses this widget."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """The browser's date and time picker: ``yyyy-mm-ddTHH:MM`` in every language (see
    ``DateInput``). Every date-time field of a form uses this widget."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def country_choices() -> list:
    """Every country to choose from, in the reader's language and order: our markets
    first, then the others. Pass the function itself as a field's ``choices`` so the
    names are made per request in the active language, not once at import time in
    English."""
    routed = [(code, countries.name(code)) for code in ROUTED_COUNTRIES]
    others = [(code, name) for code, name in countries if code not in ROUTED_COUNTRIES]
    return [
        ("", _("Choose a country…")),
        (_("Our markets"), routed),
        (_("Other countries"), others),
    ]
