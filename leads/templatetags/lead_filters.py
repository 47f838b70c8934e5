"""``{% filter_select filter.form.status %}``: a filter's <select> built in Python.
Django renders each <option> through a template, which costs more than the rest of
the filter bar; these selects have fixed choices and need nothing of that."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def filter_select(bound_field, css: str = "form-select form-select-sm"):
    value = bound_field.value()
    value = "" if value is None else str(value)
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (key, " selected" if str(key) == value else "", label)
            for key, label in bound_field.field.choices
        ),
    )
    return format_html(
        '<select name="{}" id="{}" class="{}">{}</select>',
        bound_field.html_name,
        bound_field.auto_id,
        css,
        options,
    )
