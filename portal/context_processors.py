"""Navigation per role, built from URL names so a page appears once it exists."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from portal.staff import may_open_admin
from portal.users.models import Role

MANAGERS = [Role.CHANNEL_MANAGER, Role.SALES_MANAGER]
CHANNEL = [Role.CHANNEL_MANAGER]
REPS = [Role.INTERNAL_SALES, Role.SENIOR_REP, Role.SALES_MANAGER]

# (url name, label, bootstrap icon, roles that see it; None = every signed-in user), or a
# menu: (None, label, icon, None, [entries]) shown when any of its entries is visible.
NAVIGATION = [
    ("home", _("Home"), "house", None),
    ("leads:inbox", _("Leads"), "inbox", Role.dealer_roles()),
    ("leads:submit", _("Send in a lead"), "send", Role.dealer_roles()),
    ("dealers:claims", _("Claims"), "shield-check", Role.dealer_roles()),
    ("dealers:scorecard", _("My scorecard"), "graph-up", Role.dealer_roles()),
    ("dealers:team", _("Team"), "people", [Role.DEALER_ADMIN]),
    ("webhooks:list", _("Webhooks"), "broadcast", [Role.DEALER_ADMIN]),
    ("manage:dashboard", _("Dashboard"), "speedometer2", MANAGERS),
    ("leads:mine", _("My leads"), "person-lines-fill", REPS),
    (
        None,
        _("Leads"),
        "inbox",
        None,
        [
            ("manage:pool", _("Pool: leads waiting for an owner"), "collection", MANAGERS),
            ("manage:reassign", _("Reassign leads"), "arrow-left-right", MANAGERS),
            ("manage:import", _("Import a CSV file"), "upload", CHANNEL),
            ("manage:rejections", _("Rejection reasons"), "hand-thumbs-down", MANAGERS),
            ("webhooks:list", _("Webhooks to the CRM"), "broadcast", CHANNEL),
        ],
    ),
    (
        None,
        _("Dealers"),
        "shop",
        None,
        [
            ("manage:scorecards", _("Scorecards"), "bar-chart", MANAGERS),
            ("manage:allocation", _("Allocation weights"), "sliders", CHANNEL),
            ("manage:routing_policy", _("Routing policy"), "signpost-split", CHANNEL),
            ("manage:fairness", _("Fairness"), "distribute-horizontal", MANAGERS),
            ("manage:claims", _("Claim review"), "shield-exclamation", CHANNEL),
            ("manage:dealer_list", _("Dealer accounts"), "shop-window", CHANNEL),
            ("manage:territories", _("Territories"), "map", CHANNEL),
            ("manage:staff", _("Staff and out of office"), "person-badge", MANAGERS),
        ],
    ),
    ("manage:lookup", _("Company lookup"), "search", Role.staff_roles()),
    ("manage:my_ooo", _("Out of office"), "airplane", [Role.INTERNAL_SALES, Role.SENIOR_REP]),
]


def _resolve(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _entry(request, user, name, label, icon, roles):
    if roles is not None and not (
        user.has_role(*roles) or (user.is_superuser and not user.is_dealer_user)
    ):
        return None
    if (url := _resolve(name)) is None:
        return None
    active = request.path == url or (url != "/" and request.path.startswith(url))
    return {"url": url, "label": label, "icon": icon, "active": active}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for name, label, icon, roles, *children in NAVIGATION:
        if children:
            entries = [_entry(request, user, *child) for child in children[0]]
            entries = [e for e in entries if e is not None]
            if entries:
                items.append({"label": label, "icon": icon, "children": entries})
        elif (entry := _entry(request, user, name, label, icon, roles)) is not None:
            items.append(entry)
    # Only the most specific match is active (/leads/send/ is not also "Leads").
    flat = [c for item in items for c in item.get("children", [item])]
    longest = max((len(entry["url"]) for entry in flat if entry["active"]), default=0)
    for entry in flat:
        entry["active"] = entry["active"] and len(entry["url"]) == longest
    for item in items:
        if "children" in item:
            item["active"] = any(c["active"] for c in item["children"])
    membership = user.dealer_membership
    return {
        "nav_items": items,
        "nav_dealer": membership.dealer if membership else None,
        "nav_show_admin": may_open_admin(user),
        "nav_unread": user.notifications.filter(read_at__isnull=True).count(),
    }
