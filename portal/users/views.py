"""A person's own pages: the in-app notifications and the preferences (profile,
e-mail frequency, personal API tokens for a dealer's own systems)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leads import selectors
from leads.models import ApiKey
from leads.services.api_keys import api_key_create, api_key_revoke
from portal.users.forms import ApiTokenForm, PreferencesForm
from portal.users.services import notification_mark_read

PER_PAGE = 25
NEW_TOKEN_SESSION_KEY = "new_api_token"


@login_required
@require_GET
def notifications(request):
    unread_only = request.GET.get("unread") == "1"
    items = request.user.notifications.all()
    if unread_only:
        items = items.filter(read_at__isnull=True)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "unread_only": unread_only, **_waiting(request.user)}
    return render(request, "users/notifications.html", context)


def _waiting(user) -> dict:
    """What waits for this person beside the messages: a dealer's new leads, or a rep's
    own. Someone who joined after the leads came has no notifications about them."""
    if user.is_dealer_user:
        leads, where = selectors.leads_visible_to(user), "leads:inbox"
    elif user.is_internal:
        leads, where = selectors.leads_owned_by_user(user), "leads:mine"
    else:
        return {}
    counts = selectors.lead_counts(leads)
    return {"waiting": counts, "waiting_url": f"{reverse(where)}?status=new"}


@login_required
@require_POST
def notifications_read(request):
    count = notification_mark_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications")


@login_required
@require_GET
def notification_open(request, pk: int):
    """Mark one notification read and go where it points (the user's own only)."""
    notification = get_object_or_404(request.user.notifications, pk=pk)
    notification_mark_read(user=request.user, ids=[notification.pk])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications")


def _may_have_tokens(user) -> bool:
    """Personal API tokens are for a dealer's own systems (DESIGN.md, "integrations")."""
    return user.is_dealer_user


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST, instance=user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your preferences are saved."))
            return redirect("preferences")
        status = 400
    else:
        form = PreferencesForm(instance=user)
        status = 200
    return _render_preferences(request, form=form, status=status)


def _render_preferences(request, *, form=None, token_form=None, status=200):
    user = request.user
    may_have_tokens = _may_have_tokens(user)
    context = {
        "form": form or PreferencesForm(instance=user),
        "token_form": token_form or ApiTokenForm(prefix="token"),
        "may_have_tokens": may_have_tokens,
        "tokens": list(user.api_keys.order_by("revoked_at", "-created_at"))
        if may_have_tokens
        else [],
        # The key itself is shown once, right after it was made.
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
    }
    return render(request, "users/preferences.html", context, status=status)


@login_required
@require_POST
def token_create(request):
    if not _may_have_tokens(request.user):
        raise PermissionDenied
    form = ApiTokenForm(request.POST, prefix="token")
    if not form.is_valid():
        return _render_preferences(request, token_form=form, status=400)
    _api_key, key = api_key_create(name=form.cleaned_data["name"], user=request.user)
    request.session[NEW_TOKEN_SESSION_KEY] = key
    return redirect("preferences")


@login_required
@require_POST
def token_revoke(request, pk: int):
    api_key = get_object_or_404(ApiKey, pk=pk, user=request.user)
    api_key_revoke(api_key=api_key)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": api_key.name})
    return redirect("preferences")
