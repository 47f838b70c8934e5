"""``{% staff_tabs %}``: the tabs above the staff pages under /manage/, each shown to the
roles that may open it (``portal.staff``)."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _noop

from portal.staff import ALL_STAFF, CHANNEL, MANAGERS, REPS, has_staff_role

register = template.Library()

# (url name, label, bootstrap icon, roles)
STAFF_TABS = [
    ("manage:pool", _noop("Pool"), "collection", MANAGERS),
    ("manage:reassign", _noop("Reassign leads"), "arrow-left-right", MANAGERS),
    ("manage:dealer_list", _noop("Dealer accounts"), "shop", CHANNEL),
    ("manage:territories", _noop("Territories"), "map", CHANNEL),
    ("manage:staff", _noop("Out of office"), "calendar-x", MANAGERS),
    ("manage:rejections", _noop("Rejection reasons"), "hand-thumbs-down", MANAGERS),
    ("manage:lookup", _noop("Company lookup"), "search", ALL_STAFF),
    ("manage:my_ooo", _noop("My out of office"), "calendar-x", REPS),
]


def tabs_for(request) -> list[dict]:
    """The tabs of the staff pages this user may open, the current one marked."""
    user = request.user
    tabs = []
    for name, label, icon, roles in STAFF_TABS:
        if not has_staff_role(user, roles):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        tabs.append(
            {
                "url": url,
                "label": gettext(label),
                "icon": icon,
                "active": request.path.startswith(url),
            }
        )
    return tabs


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
