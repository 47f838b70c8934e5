"""``{% filter_select filter.form.status %}``: a filter's <select> built in Python.
Django renders each <option> through a template, which costs more than the rest of
the filter bar; these selects have fixed choices and need nothing of that. The options
are built once per field, choice set, selected value and language."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language

register = template.Library()

_OPTIONS: dict[tuple, str] = {}


@register.simple_tag
def filter_select(bound_field, css: str = "form-select form-select-sm"):
    value = bound_field.value()
    value = "" if value is None else str(value)
    choices = bound_field.field.choices
    keys = tuple(str(k) for k, _label in choices)
    key = (bound_field.html_name, value, get_language(), keys)
    if (options := _OPTIONS.get(key)) is None:
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((k, " selected" if str(k) == value else "", label) for k, label in choices),
        )
        if value in keys:  # not for odd values typed into the URL
            _OPTIONS[key] = options
    return format_html(
        '<select name="{}" id="{}" class="{}">{}</select>',
        bound_field.html_name,
        bound_field.auto_id,
        css,
        options,
    )
