"""``{% staff_tabs %}``: the tabs above the staff pages under /manage/ (``portal.staff``)."""

from django import template

from portal.staff import staff_tabs as tabs_for

register = template.Library()


@register.inclusion_tag("manage/_tabs.html", takes_context=True)
def staff_tabs(context):
    request = context.get("request")
    return {"tabs": tabs_for(request) if request is not None else []}


@register.filter
def months(row, months_list):
    """A report row's counts for each month of ``months_list``."""
    return row.months(months_list)


@register.filter
def sources(row, sources_list):
    return row.sources(sources_list)


@register.filter
def share(table, row) -> float:
    return table.share(row)
