"""Webhook pages: a dealer admin looks after its dealer's endpoints, a channel manager
the manufacturer's (its CRM). The same pages for both, scoped to who asks: another
owner's endpoint is a 404, a dealer user or another role a 403."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from leads.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from leads.services import webhooks
from leads.webhooks.forms import EndpointForm
from portal.staff import CHANNEL, has_staff_role

PAGE_SIZE = 25
SECRET_KEY = "webhook-secret"  # the session's one-time copy of a new secret


def owner_of(user):
    """The dealer whose endpoints ``user`` looks after, or None for the manufacturer's."""
    membership = user.dealer_membership
    if membership is not None:
        if not membership.is_admin:
            raise PermissionDenied
        return membership.dealer
    if has_staff_role(user, CHANNEL):
        return None
    raise PermissionDenied


def _endpoints(user):
    return WebhookEndpoint.objects.filter(dealer=owner_of(user))


def _endpoint(user, pk: int) -> WebhookEndpoint:
    return get_object_or_404(_endpoints(user), pk=pk)


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _how() -> dict:
    """What the "what your system receives" card says that settings decide."""
    return {"webhook_timeout": floatformat(settings.WEBHOOK_TIMEOUT)}


@login_required
def endpoint_list(request):
    dealer = owner_of(request.user)
    endpoints = (
        WebhookEndpoint.objects.filter(dealer=dealer)
        .annotate(
            waiting=Count("deliveries", filter=Q(deliveries__state=WebhookDelivery.State.PENDING)),
            last_delivered=Max("deliveries__delivered_at"),
        )
        .order_by("created_at", "pk")
    )
    labels = dict(WebhookEvent.choices)
    rows = [
        {"endpoint": e, "events": [labels.get(code, code) for code in e.events]} for e in endpoints
    ]
    return render(request, "webhooks/list.html", {"dealer": dealer, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_new(request):
    dealer = owner_of(request.user)
    form = EndpointForm(
        request.POST or None,
        initial={"language": request.user.language, "events": WebhookEvent.values},
    )
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhooks.endpoint_create(
                actor=request.user, dealer=dealer, **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            request.session[SECRET_KEY] = {"pk": endpoint.pk, "secret": endpoint.secret}
            messages.success(request, _("The endpoint is set up. Copy its signing secret now."))
            return redirect("webhooks:detail", pk=endpoint.pk)
    context = {"dealer": dealer, "form": form, "endpoint": None, **_how()}
    return render(request, "webhooks/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_edit(request, pk: int):
    endpoint = _endpoint(request.user, pk)
    form = EndpointForm(
        request.POST or None,
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "language": endpoint.language,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.endpoint_update(endpoint=endpoint, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("webhooks:detail", pk=endpoint.pk)
    context = {"dealer": endpoint.dealer, "form": form, "endpoint": endpoint, **_how()}
    return render(request, "webhooks/form.html", context)


@login_required
def endpoint_detail(request, pk: int):
    endpoint = _endpoint(request.user, pk)
    secret = None
    shown = request.session.get(SECRET_KEY)
    if shown and shown.get("pk") == endpoint.pk:
        secret = shown["secret"]
        del request.session[SECRET_KEY]  # shown once
    states = dict(WebhookDelivery.State.choices)
    state = request.GET.get("state", "")
    deliveries = endpoint.deliveries.order_by("-created_at", "-pk")
    if state in states:
        deliveries = deliveries.filter(state=state)
    else:
        state = ""
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(WebhookEvent.choices)
    for delivery in page.object_list:
        delivery.label = labels.get(delivery.event_type) or _("Test event")
    context = {
        "endpoint": endpoint,
        "dealer": endpoint.dealer,
        "secret": secret,
        "events": [labels.get(code, code) for code in endpoint.events],
        "page": page,
        "state": state,
        "states": states,
        "waiting": endpoint.deliveries.filter(state=WebhookDelivery.State.PENDING).count(),
        **_how(),
    }
    return render(request, "webhooks/detail.html", context)


@login_required
@require_POST
def endpoint_switch(request, pk: int):
    endpoint = _endpoint(request.user, pk)
    on = request.POST.get("on") == "1"
    webhooks.endpoint_switch(endpoint=endpoint, on=on)
    if on:
        messages.success(request, _("Switched on: waiting events go out again."))
    else:
        messages.success(
            request, _("Switched off: no events are kept for it until you switch it on.")
        )
    return redirect("webhooks:detail", pk=endpoint.pk)


@login_required
@require_POST
def endpoint_rotate_secret(request, pk: int):
    endpoint = _endpoint(request.user, pk)
    secret = webhooks.endpoint_rotate_secret(endpoint=endpoint)
    request.session[SECRET_KEY] = {"pk": endpoint.pk, "secret": secret}
    messages.warning(request, _("A new signing secret: the old one no longer works."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@login_required
@require_POST
def endpoint_ping(request, pk: int):
    endpoint = _endpoint(request.user, pk)
    webhooks.endpoint_ping(endpoint=endpoint)
    messages.success(request, _("A test event is on its way; its result shows in the log."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@login_required
@require_POST
def endpoint_delete(request, pk: int):
    endpoint = _endpoint(request.user, pk)
    webhooks.endpoint_delete(endpoint=endpoint)
    messages.success(request, _("The endpoint and its log are deleted."))
    return redirect("webhooks:list")


@login_required
@require_POST
def delivery_resend(request, pk: int):
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("endpoint"),
        pk=pk,
        endpoint__in=_endpoints(request.user),
    )
    webhooks.delivery_resend(delivery=delivery)
    messages.success(request, _("Sent again, with the same event id."))
    return redirect("webhooks:detail", pk=delivery.endpoint_id)
