"""Staff pages of the leads app under /manage/: the pool, reassigning leads, the company
lookup and account page, privacy requests, out of office, the rejection report."""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealers.models import Claim
from leads.access import get_lead_for_user
from leads.matching.matcher import accounts_query
from leads.matching.normalize import normalize_company_name
from leads.models import DuplicateSubmission, Lead, Queue
from leads.reports import rejection_report
from leads.services import privacy
from leads.services.lookup import CompanyHit, account_chain, company_lookup
from leads.services.reassign import leads_reassign
from leads.staff.forms import (
    BulkReassignForm,
    EraseForm,
    LeadFilterForm,
    LookupForm,
    OutOfOfficeForm,
    ReassignForm,
    RejectionFilterForm,
)
from portal import exports
from portal.forms import add_service_error, error_text
from portal.messages import interpolate
from portal.staff import (
    ALL_STAFF,
    MANAGERS,
    has_staff_role,
    staff_required,
)
from portal.users.models import StaffProfile
from portal.users.services import staff_set_out_of_office

PAGE_SIZE = 50
OWNERS = ("owner_dealer", "owner_user", "owner_queue")


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- the pool and reassigning --------------------------------------------------------


@staff_required(*MANAGERS)
@require_GET
def pool(request):
    leads = (
        Lead.objects.filter(owner_queue_id=Queue.POOL, status__in=Lead.OPEN_STATUSES)
        .select_related(*OWNERS)
        .order_by("created_at", "pk")
    )
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": BulkReassignForm(user=request.user),
        "now": timezone.now(),
        "next": request.get_full_path(),
    }
    return render(request, "manage/pool.html", context)


@staff_required(*MANAGERS)
@require_GET
def reassign(request):
    """Open leads, filtered by owner or company, to tick and give to another owner."""
    # ids of its own: the bulk form below has an owner field too
    filters = LeadFilterForm(request.GET or None, user=request.user, auto_id="filter_%s")
    leads = Lead.objects.filter(status__in=Lead.OPEN_STATUSES).select_related(*OWNERS)
    if filters.is_valid():
        kind, _sep, pk = filters.cleaned_data["owner"].partition(":")
        if kind in ("dealer", "user", "queue") and pk:
            leads = leads.filter(**{f"owner_{kind}_id": pk})
        if name := normalize_company_name(filters.cleaned_data["q"]):
            leads = leads.filter(company_normalized__startswith=name)
    page = Paginator(leads.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "filters": filters,
        "form": BulkReassignForm(user=request.user),
        "now": timezone.now(),
        "next": request.get_full_path(),
    }
    return render(request, "manage/reassign.html", context)


@staff_required(*MANAGERS)
@require_POST
def reassign_bulk(request):
    form = BulkReassignForm(request.POST, user=request.user)
    back = _back(request, reverse("manage:reassign"))
    if not form.is_valid():
        errors = [e for field in form.errors.values() for e in field]
        messages.error(request, " ".join(errors))
        return redirect(back)
    try:
        moved = leads_reassign(
            lead_ids=form.lead_ids,
            owner=form.cleaned_data["owner"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            ngettext("%(count)d lead reassigned.", "%(count)d leads reassigned.", moved)
            % {"count": moved},
        )
    return redirect(back)


@staff_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def lead_reassign(request, pk: int):
    lead = get_lead_for_user(request.user, pk)
    form = ReassignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            leads_reassign(
                lead_ids=[lead.pk],
                owner=form.cleaned_data["owner"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(
                "owner" if "owner" in getattr(error, "error_dict", {}) else None, error.messages
            )
        else:
            messages.success(request, _("The lead has a new owner."))
            return redirect(lead.get_absolute_url())
    return render(request, "manage/reassign_lead.html", {"lead": lead, "form": form})


# --- company lookup and the account page ----------------------------------------------


@staff_required(*ALL_STAFF)
@require_GET
def lookup(request):
    form = LookupForm(request.GET or None)
    result = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        result = company_lookup(form.cleaned_data["q"], country=form.cleaned_data["country"])
    context = {"form": form, "result": result, "now": timezone.now()}
    # Only htmx's live search gets the results alone; its history restore gets the page.
    # Vary: the browser must not show the fragment when going back to the same URL.
    partial = request.headers.get("HX-Target") == "lookup-results" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "manage/_lookup_results.html" if partial else "manage/lookup.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target", "HX-History-Restore-Request"])
    return response


@staff_required(*ALL_STAFF)
@require_GET
def account_detail(request, pk: int):
    account = get_object_or_404(accounts_query(), pk=pk)
    now = timezone.now()
    chain = account_chain(account)
    claims = list(
        Claim.objects.filter(account_id__in=[a.pk for a in chain])
        .select_related("dealer")
        .order_by("-submitted_at")[:20]
    )
    leads = list(
        Lead.objects.filter(account=account).select_related(*OWNERS).order_by("-created_at")[:50]
    )
    hit = CompanyHit(
        name=account.legal_name,
        country=account.country.code,
        account=account,
        customer_via=next((a for a in chain if a.installed_base.all()), None),
        claims=[c for c in claims if c.is_active(now)],
        open_leads=[lead for lead in leads if lead.is_open and not lead.erased_at],
    )
    context = {
        "account": account,
        "hit": hit,
        "claims": claims,
        "leads": leads,
        "subsidiaries": account.subsidiaries.order_by("legal_name")[:20],
        "can_privacy": has_staff_role(request.user, MANAGERS),
        "erase_form": EraseForm(),
        "now": now,
    }
    return render(request, "manage/account.html", context)


# --- privacy requests -------------------------------------------------------------


def _json_download(payload: dict, filename: str) -> JsonResponse:
    response = JsonResponse(payload, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_required(*MANAGERS)
@require_GET
def lead_privacy(request, pk: int):
    lead = get_lead_for_user(request.user, pk)
    context = {
        "lead": lead,
        "submissions": DuplicateSubmission.objects.filter(lead=lead).order_by("received_at"),
        "erase_form": EraseForm(),
    }
    return render(request, "manage/privacy.html", context)


@staff_required(*MANAGERS)
@require_POST
def lead_privacy_export(request, pk: int):
    lead = get_lead_for_user(request.user, pk)
    payload = privacy.lead_export_personal_data(lead=lead, actor=request.user)
    return _json_download(payload, f"lead-{lead.pk}-personal-data.json")


@staff_required(*MANAGERS)
@require_POST
def lead_privacy_erase(request, pk: int):
    lead = get_lead_for_user(request.user, pk)
    form = EraseForm(request.POST)
    if form.is_valid():
        try:
            result = privacy.lead_erase_personal_data(
                lead=lead, actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The contact's personal data was erased."))
            if result.kept_events:
                messages.warning(request, _older_events_warning(len(result.kept_events)))
            return redirect("manage:lead_privacy", pk=lead.pk)
    context = {
        "lead": lead,
        "submissions": DuplicateSubmission.objects.filter(lead=lead).order_by("received_at"),
        "erase_form": form,
    }
    return render(request, "manage/privacy.html", context, status=400)


def _older_events_warning(count: int) -> str:
    return ngettext(
        "%(count)d duplicate event from before personal data moved off the events still "
        "holds contact details; events are immutable, so ask the administrator.",
        "%(count)d duplicate events from before personal data moved off the events still "
        "hold contact details; events are immutable, so ask the administrator.",
        count,
    ) % {"count": count}


@staff_required(*MANAGERS)
@require_POST
def account_privacy_export(request, pk: int):
    account = get_object_or_404(accounts_query(), pk=pk)
    payload = privacy.account_export_personal_data(account=account, actor=request.user)
    return _json_download(payload, f"account-{account.pk}-personal-data.json")


@staff_required(*MANAGERS)
@require_POST
def account_privacy_erase(request, pk: int):
    account = get_object_or_404(accounts_query(), pk=pk)
    form = EraseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the confirmation to erase the personal data."))
        return redirect("manage:account_detail", pk=account.pk)
    result = privacy.account_erase_personal_data(
        account=account, actor=request.user, note=form.cleaned_data["note"]
    )
    messages.success(
        request,
        _("Personal data erased from %(leads)d leads and %(claims)d claims.")
        % {"leads": len(result.leads), "claims": result.claims},
    )
    if result.kept_events:
        messages.warning(request, _older_events_warning(len(result.kept_events)))
    return redirect("manage:account_detail", pk=account.pk)


# --- out of office -------------------------------------------------------------------


@staff_required(*MANAGERS)
@require_GET
def staff_list(request):
    profiles = StaffProfile.objects.select_related("user", "backup").order_by("user__name")
    now = timezone.now()
    rows = [{"profile": p, "away": p.is_out_of_office(now)} for p in profiles]
    return render(request, "manage/staff.html", {"rows": rows, "now": now})


def _out_of_office(request, profile: StaffProfile, back: str):
    person = profile.user
    initial = {
        "out_of_office_from": _local(profile.out_of_office_from),
        "out_of_office_until": _local(profile.out_of_office_until),
        "backup": profile.backup_id,
    }
    form = OutOfOfficeForm(request.POST or None, initial=initial, person=person)
    if request.method == "POST" and request.POST.get("clear"):
        staff_set_out_of_office(
            profile=profile, actor=request.user, starts=None, ends=None, backup=None
        )
        messages.success(
            request,
            interpolate(
                _("Back in the office: new leads go to %(name)s again."), {"name": person.name}
            ),
        )
        return redirect(back)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff_set_out_of_office(
                profile=profile,
                actor=request.user,
                starts=data["out_of_office_from"],
                ends=data["out_of_office_until"],
                backup=data["backup"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Out of office saved."))
            return redirect(back)
    context = {"form": form, "person": person, "profile": profile, "back": back}
    return render(request, "manage/out_of_office.html", context)


def _local(value: datetime | None):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


@staff_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def staff_out_of_office(request, user_pk: int):
    profile = get_object_or_404(StaffProfile.objects.select_related("user"), user_id=user_pk)
    return _out_of_office(request, profile, reverse("manage:staff"))


@staff_required(*ALL_STAFF)
@require_http_methods(["GET", "POST"])
def my_out_of_office(request):
    profile = request.user.staff_profile
    if profile is None:
        raise Http404("No staff profile")
    return _out_of_office(request, profile, reverse("manage:my_ooo"))


# --- rejection reasons ------------------------------------------------------------


@staff_required(*MANAGERS)
@require_GET
def rejections(request):
    form = RejectionFilterForm(request.GET or None)
    months, source = 6, ""
    if form.is_valid():
        months = form.cleaned_data["months"] or 6
        source = form.cleaned_data["source"]
    today = timezone.localdate()
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    since = timezone.make_aware(datetime(year, month, 1))
    report = rejection_report(since=since, source=source)
    if request.GET.get("format") == "csv":
        return _rejections_csv(report)
    source_labels = [Lead.Source(s).label if s in Lead.Source.values else s for s in report.sources]
    context = {"form": form, "report": report, "source_labels": source_labels}
    return render(request, "manage/rejections.html", context)


def _rejections_csv(report) -> HttpResponse:
    sheet = exports.Sheet(
        headers=["kind", "reason", "label", *[m.strftime("%Y-%m") for m in report.months], "total"],
        rows=[
            [kind, row.code, row.label, *row.months(report.months), row.total]
            for kind, table in (("rejected", report.rejected), ("lost", report.lost))
            for row in table.rows
        ],
    )
    return sheet.response("csv", filename="rejection-reasons.csv")
