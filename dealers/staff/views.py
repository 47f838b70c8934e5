"""The channel manager's dealer pages: list, create, detail (status, capacity, admin
invitation, audit) and edit. The dealer scorecards are another page
(``manage:scorecards``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealers import allocation
from dealers.models import Dealer
from dealers.performance.previews import preview_context
from dealers.services import lifecycle as services
from dealers.staff.forms import CapacityForm, DealerCreateForm, DealerForm, InviteForm, StatusForm
from leads.models import Lead
from portal.forms import add_service_error
from portal.staff import CHANNEL, dealers_managed_by, get_dealer_for_staff, staff_required
from territories.models import TerritoryOwner


@staff_required(*CHANNEL)
@require_GET
def dealer_list(request):
    status = request.GET.get("status", "")
    dealers = dealers_managed_by(request.user).annotate(members=Count("memberships"))
    if status in Dealer.Status.values:
        dealers = dealers.filter(status=status)
    dealers = list(dealers.order_by("name"))
    open_counts = dict(
        Lead.objects.filter(owner_dealer__in=[d.pk for d in dealers], status__in=Lead.OPEN_STATUSES)
        .values("owner_dealer")
        .annotate(n=Count("pk"))
        .values_list("owner_dealer", "n")
    )
    for dealer in dealers:
        dealer.open_leads = open_counts.get(dealer.pk, 0)
    context = {"dealers": dealers, "status": status, "statuses": Dealer.Status.choices}
    return render(request, "dealers/manage/list.html", context)


@staff_required(*CHANNEL)
@require_http_methods(["GET", "POST"])
def dealer_create(request):
    form = DealerCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dealer = services.dealer_create(
                actor=request.user,
                name=data["name"],
                contact_email=data["contact_email"],
                countries=data["countries"],
                sectors=data["sectors"],
                weekly_capacity=data["weekly_capacity"],
                phone=data["phone"],
                city=data["city"],
                language=data["language"],
                home_country=data["home_country"],
                region=data["region"],
                admin_name=data["admin_name"],
                admin_email=data["admin_email"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "email" in error.error_dict:
                error = ValidationError({"admin_email": error.error_dict["email"]})
            add_service_error(form, error)
        else:
            messages.success(request, _("Dealer %(name)s created.") % {"name": dealer.name})
            return redirect("manage:dealer_detail", pk=dealer.pk)
    return render(request, "dealers/manage/form.html", {"form": form, "dealer": None})


@staff_required(*CHANNEL)
@require_http_methods(["GET", "POST"])
def dealer_edit(request, pk: int):
    dealer = get_dealer_for_staff(request.user, pk)
    current = [c.code for c in dealer.countries]
    if request.method == "POST":
        form = DealerForm(request.POST, current_countries=current)
        if form.is_valid():
            try:
                changed = services.dealer_update(
                    dealer=dealer, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Saved.") if changed else _("Nothing changed."))
                return redirect("manage:dealer_detail", pk=dealer.pk)
    else:
        form = DealerForm(initial=DealerForm.initial_for(dealer), current_countries=current)
    return render(request, "dealers/manage/form.html", {"form": form, "dealer": dealer})


def _detail(
    request,
    dealer: Dealer,
    *,
    status_form=None,
    capacity_form=None,
    invite_form=None,
    preview=None,
    preview_of: str = "status",
):
    members = dealer.memberships.select_related("user").order_by("-role", "user__name")
    open_by_status = dict(
        Lead.objects.filter(owner_dealer=dealer, status__in=Lead.OPEN_STATUSES)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    territories = TerritoryOwner.objects.filter(dealer=dealer).select_related("territory")
    context = {
        "dealer": dealer,
        "members": members,
        "open_total": sum(open_by_status.values()),
        "open_by_status": [
            (Lead.Status(code).label, open_by_status[code])
            for code in Lead.OPEN_STATUSES
            if code in open_by_status
        ],
        "territories": territories,
        "status_form": status_form or StatusForm(initial={"status": _next_status(dealer)}),
        "capacity_form": capacity_form
        or CapacityForm(initial={"weekly_capacity": dealer.weekly_capacity}),
        "invite_form": invite_form or InviteForm(),
        "audit": services.dealer_audit(dealer),
        "weight": dealer.effective_weight(),
        **(
            preview_context(preview)
            if preview_of == "capacity"
            else preview_context(
                preview and preview.preview,
                rerouted=preview and preview.rerouted,
                claims_ended=preview.claims_ended if preview and preview.claims_ended else None,
            )
        ),
        "preview_of": preview_of,
    }
    forms = (status_form, capacity_form, invite_form)
    status = 400 if preview is None and any(f is not None for f in forms) else 200
    return render(request, "dealers/manage/detail.html", context, status=status)


def _next_status(dealer: Dealer) -> str:
    return Dealer.Status.PAUSED if dealer.status == Dealer.Status.ACTIVE else Dealer.Status.ACTIVE


@staff_required(*CHANNEL)
@require_GET
def dealer_detail(request, pk: int):
    return _detail(request, get_dealer_for_staff(request.user, pk))


@staff_required(*CHANNEL)
@require_POST
def dealer_status(request, pk: int):
    dealer = get_dealer_for_staff(request.user, pk)
    if "preview" in request.POST:
        return _status_preview(request, dealer)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            count = services.dealer_set_status(
                dealer=dealer,
                status=form.cleaned_data["status"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            dealer.refresh_from_db()
            messages.success(
                request,
                _("%(dealer)s is now %(status)s; %(count)d open leads were routed again.")
                % {"dealer": dealer.name, "status": dealer.get_status_display(), "count": count},
            )
            return redirect("manage:dealer_detail", pk=dealer.pk)
    return _detail(request, dealer, status_form=form)


def _status_preview(request, dealer: Dealer):
    """Where the last leads would have gone with the chosen status, and how many open
    leads applying routes again; writes nothing. The form keeps the typed values (the
    reason is needed only to apply)."""
    form = StatusForm(request.POST)
    form.is_valid()
    status = form.cleaned_data.get("status")
    if status is None:
        return _detail(request, dealer, status_form=form)
    if status == dealer.status:
        form.add_error(
            "status",
            _("The dealer is already %(status)s.") % {"status": dealer.get_status_display()},
        )
        return _detail(request, dealer, status_form=form)
    shown = StatusForm(initial={"status": status, "reason": request.POST.get("reason", "")})
    preview = allocation.dealer_status_preview(dealer_id=dealer.pk, status=status)
    return _detail(request, dealer, status_form=shown, preview=preview)


@staff_required(*CHANNEL)
@require_POST
def dealer_capacity(request, pk: int):
    dealer = get_dealer_for_staff(request.user, pk)
    form = CapacityForm(request.POST)
    if "preview" in request.POST:
        return _capacity_preview(request, dealer, form)
    if form.is_valid():
        services.dealer_set_capacity(
            dealer=dealer, weekly_capacity=form.cleaned_data["weekly_capacity"], actor=request.user
        )
        messages.success(request, _("Capacity saved."))
        return redirect("manage:dealer_detail", pk=dealer.pk)
    return _detail(request, dealer, capacity_form=form)


def _capacity_preview(request, dealer: Dealer, form: CapacityForm):
    """Where the last leads would have gone with the typed weekly capacity; writes
    nothing. The form keeps the typed value."""
    if not form.is_valid():
        return _detail(request, dealer, capacity_form=form)
    capacity = form.cleaned_data["weekly_capacity"]
    preview = allocation.routing_change_preview(
        lambda context: allocation.with_dealer_capacity(context, dealer.pk, capacity)
    )
    return _detail(request, dealer, capacity_form=form, preview=preview, preview_of="capacity")


@staff_required(*CHANNEL)
@require_POST
def dealer_invite(request, pk: int):
    dealer = get_dealer_for_staff(request.user, pk)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            user = services.dealer_invite_admin(
                dealer=dealer,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                invited_by=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s; they become the dealer's admin.")
                % {"email": user.email},
            )
            return redirect("manage:dealer_detail", pk=dealer.pk)
    return _detail(request, dealer, invite_form=form)
