"""Navigation per role, built from URL names so a page appears once it exists."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from portal.users.models import Role

# (url name, label, bootstrap icon, roles that see it; None = every signed-in user)
NAVIGATION = [
    ("home", _("Home"), "house", None),
    ("leads:inbox", _("Leads"), "inbox", Role.dealer_roles()),
    ("leads:submit", _("Send in a lead"), "send", Role.dealer_roles()),
    ("dealers:claims", _("Claims"), "shield-check", Role.dealer_roles()),
    ("dealers:scorecard", _("My scorecard"), "graph-up", Role.dealer_roles()),
    ("dealers:team", _("Team"), "people", [Role.DEALER_ADMIN]),
    (
        "manage:dashboard",
        _("Dashboard"),
        "speedometer2",
        [Role.CHANNEL_MANAGER, Role.SALES_MANAGER],
    ),
    ("manage:pool", _("Pool"), "collection", [Role.CHANNEL_MANAGER, Role.SALES_MANAGER]),
    ("manage:scorecards", _("Dealers"), "bar-chart", [Role.CHANNEL_MANAGER, Role.SALES_MANAGER]),
    ("manage:allocation", _("Allocation"), "sliders", [Role.CHANNEL_MANAGER]),
    ("manage:territories", _("Territories"), "map", [Role.CHANNEL_MANAGER]),
    ("manage:claims", _("Claim review"), "shield-exclamation", [Role.CHANNEL_MANAGER]),
    ("manage:import", _("Import"), "upload", [Role.CHANNEL_MANAGER]),
    (
        "leads:mine",
        _("My leads"),
        "person-lines-fill",
        [Role.INTERNAL_SALES, Role.SENIOR_REP, Role.SALES_MANAGER],
    ),
    ("manage:lookup", _("Company lookup"), "search", Role.staff_roles()),
]


def _resolve(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for name, label, icon, roles in NAVIGATION:
        if roles is not None and not (
            user.has_role(*roles) or (user.is_superuser and not user.is_dealer_user)
        ):
            continue
        if (url := _resolve(name)) is None:
            continue
        active = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"url": url, "label": label, "icon": icon, "active": active})
    # Only the most specific match is active (/leads/send/ is not also "Leads").
    longest = max((len(item["url"]) for item in items if item["active"]), default=0)
    for item in items:
        item["active"] = item["active"] and len(item["url"]) == longest
    membership = user.dealer_membership
    return {
        "nav_items": items,
        "nav_dealer": membership.dealer if membership else None,
        "nav_show_admin": user.is_staff and not user.is_dealer_user,
        "nav_unread": user.notifications.filter(read_at__isnull=True).count(),
    }
