"""What the apps' views and forms share about service errors."""

from django.core.exceptions import ValidationError


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
