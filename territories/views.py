"""Territory pages for the channel manager: list, detail with audit, create and edit
(postcode ranges, sectors, owners and weights) with a what-if preview, CSV import (upload:
the check and the what-if preview of the whole file; Apply: the same file) and export,
coverage."""

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dealers.performance.previews import preview_context
from leads.models import ShareCounter
from leads.services.facts import build_context
from leads.services.routing import LOCK_OWNER
from portal.choices import ROUTED_COUNTRIES, Sector
from portal.forms import add_service_error
from portal.staff import (
    CHANNEL,
    get_territory_for_staff,
    managed_countries,
    staff_required,
    territories_managed_by,
)
from territories import services
from territories.coverage import NO_SECTOR, coverage_report
from territories.forms import (
    ApplyImportForm,
    ImportForm,
    OwnerFormSet,
    TerritoryFilterForm,
    TerritoryForm,
    owner_initial,
    sign_import,
)
from territories.models import Territory, TerritoryOwner
from territories.services.preview import territories_import_preview, territory_preview


def _with_rows(territories):
    return territories.prefetch_related(
        "ranges", Prefetch("owners", TerritoryOwner.objects.select_related("dealer", "user"))
    )


@staff_required(*CHANNEL)
@require_GET
def territory_list(request):
    form = TerritoryFilterForm(request.GET)
    form.is_valid()  # a field with an error (NUL, too long) filters nothing and says why
    country = form.cleaned_data.get("country", "")
    query = form.cleaned_data.get("q", "")
    territories = territories_managed_by(request.user)
    countries = sorted(set(territories.values_list("country", flat=True)))
    if country:
        territories = territories.filter(country=country)
    if query:
        territories = territories.filter(name__icontains=query)
    rows = list(_with_rows(territories).order_by("country", "name"))
    context = {
        "territories": rows,
        "countries": countries,
        "country": country,
        "query": query,
        "form": form,
    }
    return render(request, "territories/list.html", context)


def _owner_rows(territory: Territory, on) -> list[dict]:
    """Owners with their weights, target share and leads counted since the last reset."""
    counts = dict(
        ShareCounter.objects.filter(scope=f"territory:{territory.pk}")
        .exclude(owner=LOCK_OWNER)
        .values_list("owner", "count")
    )
    rows = []
    for owner in territory.owners.all():
        if owner.dealer_id:
            dealer = owner.dealer
            eligible = dealer.status == dealer.Status.ACTIVE
            factor = dealer.effective_weight(on)
            key = f"dealer:{owner.dealer_id}"
        else:
            eligible, factor, key = owner.user.is_active, 1.0, f"user:{owner.user_id}"
        effective = float(owner.weight) * factor if eligible else 0.0
        rows.append(
            {
                "owner": owner,
                "factor": factor,
                "effective": effective,
                "counted": counts.get(key, 0),
            }
        )
    total = sum(r["effective"] for r in rows)
    counted = sum(r["counted"] for r in rows)
    for row in rows:
        row["share"] = 100 * row["effective"] / total if total else 0
        row["actual"] = 100 * row["counted"] / counted if counted else None
    return rows


@staff_required(*CHANNEL)
@require_GET
def territory_detail(request, pk: int):
    territory = get_territory_for_staff(request.user, pk)
    territory = _with_rows(Territory.objects.filter(pk=territory.pk)).get()
    context = {
        "territory": territory,
        "ranges": services.format_ranges(
            territory.country.code, [(r.start, r.end) for r in territory.ranges.all()]
        ),
        "sector_labels": Territory._meta.get_field("sectors").labels(territory.sectors),
        "owners": _owner_rows(territory, timezone.localdate()),
        "audit": services.territory_audit(territory),
    }
    return render(request, "territories/detail.html", context)


@staff_required(*CHANNEL)
@require_http_methods(["GET", "POST"])
def territory_edit(request, pk: int | None = None):
    territory = None
    if pk is not None:
        territory = get_territory_for_staff(request.user, pk)
        territory = _with_rows(Territory.objects.filter(pk=territory.pk)).get()
    allowed = managed_countries(request.user)
    preview = None
    if request.method == "POST":
        form = TerritoryForm(request.POST, allowed_countries=allowed)
        owners = OwnerFormSet(request.POST, prefix="owners")
        if form.is_valid() and owners.is_valid() and "preview" in request.POST:
            preview = _preview(form, owners, territory)
        elif form.is_valid() and owners.is_valid():
            data = form.cleaned_data
            try:
                result = services.territory_save(
                    territory=territory,
                    actor=request.user,
                    name=data["name"],
                    country=data["country"],
                    sectors=data["sectors"],
                    is_active=data["is_active"],
                    notes=data["notes"],
                    ranges=data["ranges"],
                    owners=owners.specs(),
                )
            except ValidationError as error:
                add_service_error(form, error, fields={"ranges": "postcodes", "owners": None})
            else:
                if result.shares_reset:
                    messages.success(
                        request,
                        _(
                            "Saved. The owners or weights changed, so the share counters "
                            "start again from zero."
                        ),
                    )
                elif result.changed:
                    messages.success(request, _("Saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("manage:territory_detail", pk=result.territory.pk)
    else:
        if territory is None:
            form = TerritoryForm(
                initial={"is_active": True, "country": request.GET.get("country", "")},
                allowed_countries=allowed,
            )
            owners = OwnerFormSet(prefix="owners")
        else:
            form = TerritoryForm(
                initial=TerritoryForm.initial_for(territory), allowed_countries=allowed
            )
            owners = OwnerFormSet(prefix="owners", initial=owner_initial(territory))
    context = {"form": form, "owners": owners, "territory": territory, **preview_context(preview)}
    return render(request, "territories/form.html", context)


def _preview(form, owners, territory):
    """The what-if preview of the edit as typed (None, with the errors on the form, when
    it is not valid); the form keeps the values."""
    data = form.cleaned_data
    try:
        return territory_preview(
            territory=territory,
            name=data["name"],
            country=data["country"],
            sectors=data["sectors"],
            is_active=data["is_active"],
            ranges=data["ranges"],
            owners=owners.specs(),
        )
    except ValidationError as error:
        add_service_error(form, error, fields={"ranges": "postcodes", "owners": None})
        return None


@staff_required(*CHANNEL)
@require_GET
def territory_export(request):
    sheet = services.territories_export(territories_managed_by(request.user))
    stamp = timezone.localdate().isoformat()
    return sheet.response("csv", filename=f"territories-{stamp}.csv")


@staff_required(*CHANNEL)
@require_http_methods(["GET", "POST"])
def territory_import(request):
    """Two steps. Upload: the file is checked line by line and, without errors, the
    what-if preview of all its territories at once is shown with an Apply form that
    carries the file signed (``sign_import``); nothing is written. Apply (a POST with
    ``content``): the same file is imported."""
    allowed = managed_countries(request.user)
    form, apply_form = ImportForm(), None
    report = preview = None
    if request.method == "POST" and "content" in request.POST:
        apply_form = ApplyImportForm(request.POST, user=request.user)
        if apply_form.is_valid():
            report = _import_apply(request, apply_form.cleaned_data["content"], allowed)
            apply_form = None
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            text = form.cleaned_data["file"]
            try:
                report, preview = territories_import_preview(
                    text=text,
                    actor=request.user,
                    allowed_countries=allowed,
                    limit=form.cleaned_data["leads"],
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                if preview is not None:
                    apply_form = ApplyImportForm(
                        initial={"content": sign_import(text, request.user)}, user=request.user
                    )
    context = {
        "form": form,
        "apply_form": apply_form,
        "report": report,
        **preview_context(preview),
    }
    return render(request, "territories/import.html", context)


def _import_apply(request, text: str, allowed):
    """Import the previewed file; its report (with the lines that went wrong since the
    preview, if any: then nothing is saved)."""
    try:
        report = services.territories_import_csv(
            text=text, actor=request.user, apply=True, allowed_countries=allowed
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None
    if report.applied:
        messages.success(
            request,
            _("Imported: %(created)d new, %(changed)d changed, %(unchanged)d unchanged.")
            % {
                "created": len(report.created),
                "changed": len(report.changed),
                "unchanged": len(report.unchanged),
            },
        )
    return report


@staff_required(*CHANNEL)
@require_GET
def territory_coverage(request):
    context = build_context(on=timezone.localdate())
    allowed = managed_countries(request.user)
    if allowed is not None:
        context = replace(
            context,
            territories={
                pk: t for pk, t in context.territories.items() if t.country.upper() in allowed
            },
        )
    countries = sorted(allowed) if allowed is not None else list(ROUTED_COUNTRIES)
    report = coverage_report(
        context, sectors=Sector.values, countries=countries, bounds=services.postcode_bounds
    )
    labels = dict(Sector.choices) | {NO_SECTOR: _("no sector given")}
    gaps = [
        {
            "gap": gap,
            "start": services.format_postcode(gap.country, gap.start) if gap.start else None,
            "end": services.format_postcode(gap.country, gap.end) if gap.end else None,
            "missing": [labels.get(code, code) for code in sorted(gap.missing)],
        }
        for gap in report.gaps
    ]
    overlaps = [
        {
            "overlap": overlap,
            "sectors": [labels.get(code, code) for code in sorted(overlap.sectors or ())],
            "spans": [
                {
                    "span": span,
                    "text": services.format_ranges(overlap.country, [(span.start, span.end)])
                    if span.start is not None
                    else "",
                }
                for span in overlap.spans
            ],
        }
        for overlap in report.overlaps
    ]
    problems = {
        "unknown": _("unknown"),
        "paused": _("paused"),
        "terminated": _("terminated"),
        "weight_zero": _("weight 0"),
        "deactivated": _("deactivated"),
    }
    unstaffed = [
        {
            "territory": item.territory,
            "reasons": [f"{name}: {problems.get(code, code)}" for name, code in item.reasons],
        }
        for item in report.unstaffed
    ]
    context = {"report": report, "gaps": gaps, "overlaps": overlaps, "unstaffed": unstaffed}
    return render(request, "territories/coverage.html", context)
