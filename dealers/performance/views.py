"""The channel manager's performance pages under /manage/: dealer scorecards (table and
one dealer), allocation weights with overrides, the what-if preview and applying, the
fairness report, and the claim review queue. Thin: parse, check access
(``portal.staff``), call a selector or service, render an explicit context.

Sales managers may read the scorecards and the fairness report; only channel managers
change weights and decide claims. A channel manager limited to some countries sees and
changes only the dealers (and territories) serving them; another dealer is a 404.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from dealers import allocation, scorecards, selectors, services
from dealers.models import Claim, Dealer, WeightChange
from dealers.performance.forms import (
    ApplyForm,
    ClaimDecisionForm,
    OverrideEndForm,
    OverrideForm,
    PreviewForm,
    RepFilterForm,
    ScorecardFilterForm,
    expected_json,
)
from dealers.performance.previews import preview_chart
from dealers.performance.tables import (
    RepRow,
    RepScorecardTable,
    ScorecardTable,
    TeamScorecardTable,
    scorecard_rows,
)
from dealers.services.checks import CLAIM, CUSTOMER, OPEN_LEAD
from leads import rep_scorecards as reps
from leads.models import Assignment
from portal import exports, l10n
from portal.forms import add_service_error, error_text
from portal.staff import (
    CHANNEL,
    MANAGERS,
    dealers_managed_by,
    get_dealer_for_staff,
    has_staff_role,
    managed_countries,
    staff_required,
    territories_managed_by,
)

STINT_PAGE = 25
STINT_FILTERS = {
    "open": {"ended_at__isnull": True},
    "won": {"end_reason": Assignment.EndReason.WON},
    "lost": {"end_reason": Assignment.EndReason.LOST},
    "recycled": {"end_reason": Assignment.EndReason.RECYCLED},
    "rejected": {"end_reason": Assignment.EndReason.REJECTED},
}


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- scorecards -------------------------------------------------------------------------


@staff_required(*MANAGERS)
@require_GET
def scorecards_table(request):
    """Every managed dealer's scorecard in one table: sortable, filterable, exportable."""
    countries = managed_countries(request.user)
    data = request.GET.copy()
    data.setdefault("period", "90")
    form = ScorecardFilterForm(data, countries=countries)
    days = form.days
    data = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    start, end = scorecards.scorecard_window(now=now, days=days)
    dealers = {d.pk: d for d in dealers_managed_by(request.user)}
    cards = scorecards.dealer_scorecards(
        start=start,
        end=end,
        now=now,
        dealer_ids=list(dealers) if countries is not None else None,
        country=data.get("country") or None,
        sector=data.get("sector") or None,
    )
    rows = scorecard_rows((c for c in cards if c.dealer_id in dealers), dealers)
    table = ScorecardTable(rows)
    RequestConfig(request, paginate=False).configure(table)
    export_format = request.GET.get("_export")
    if export_format in exports.FORMATS:
        stamp = timezone.localdate(now).isoformat()
        sheet = exports.Sheet.from_table(table, title="scorecards")
        filename = f"dealer-scorecards-{days}d-{stamp}.{export_format}"
        return sheet.response(export_format, filename=filename)
    totals = {
        "received": sum(r.card.received for r in rows),
        "measured": sum(r.card.measured for r in rows),
        "in_sla": sum(r.card.followed_up_in_sla for r in rows),
        "recycled": sum(r.card.recycled for r in rows),
        "won": sum(r.card.won for r in rows),
        "lost": sum(r.card.lost for r in rows),
        "pipeline": sum((r.card.pipeline_value for r in rows), 0),
    }
    totals["follow_up"] = (
        scorecards.percent(totals["in_sla"] / totals["measured"]) if totals["measured"] else None
    )
    closed = totals["won"] + totals["lost"]
    totals["conversion"] = scorecards.percent(totals["won"] / closed) if closed else None
    context = {
        "form": form,
        "table": table,
        "rows": rows,
        "totals": totals,
        "days": days,
        "start": start,
        "query": _query_without(request, "_export"),
        "can_allocate": has_staff_role(request.user, CHANNEL),
    }
    return render(request, "manage/performance/scorecards.html", context)


@staff_required(*MANAGERS)
@require_GET
def rep_scorecards(request):
    """Internal reps' and account managers' figures, per rep and per team, over the same
    windows as the dealers': a channel manager sees every team (of the countries they
    manage), a sales manager their own direct reports. Exportable like the dealers'."""
    user = request.user
    own_team = not has_staff_role(user, CHANNEL)
    if not own_team:
        people = reps.internal_owners(countries=managed_countries(user))
    else:
        people = reps.internal_owners(manager_id=user.pk)
    people = list(people)
    teams = reps.Teams.of_profiles(people, no_team_name=_("No manager"))
    data = request.GET.copy()
    data.setdefault("period", "90")
    choices = teams.choices()
    form = RepFilterForm(data, teams=choices if len(choices) > 1 else ())
    days = form.days
    team = form.cleaned_data.get("team") if form.is_valid() else None
    if team is not None:
        people = [p for p in people if teams.of[p.user_id] == team]
    now = timezone.now()
    start, end = scorecards.scorecard_window(now=now, days=days)
    cards = reps.rep_scorecards(people, start=start, end=end, now=now)
    team_cards = reps.team_scorecards(
        people, cards, start=start, end=end, no_team_name=_("No manager")
    )
    rep_rows = [RepRow(c.name, c.title, teams.names[c.team_id], c.figures) for c in cards]
    team_rows = [
        RepRow(
            t.manager_name,
            ngettext("%(n)s rep", "%(n)s reps", len(t.members)) % {"n": len(t.members)},
            t.manager_name,
            t.figures,
        )
        for t in team_cards
    ]
    rep_table = RepScorecardTable(rep_rows, prefix="rep-")
    team_table = TeamScorecardTable(team_rows, prefix="team-")
    RequestConfig(request, paginate=False).configure(rep_table)
    RequestConfig(request, paginate=False).configure(team_table)
    export_format = request.GET.get("_export")
    if export_format in exports.FORMATS:
        of_teams = request.GET.get("of") == "teams"
        table = team_table if of_teams else rep_table
        kind = "team" if of_teams else "rep"
        sheet = exports.Sheet.from_table(table, title=f"{kind} scorecards")
        stamp = timezone.localdate(now).isoformat()
        filename = f"{kind}-scorecards-{days}d-{stamp}.{export_format}"
        return sheet.response(export_format, filename=filename)
    total = reps.Figures.total(t.figures for t in team_cards)
    context = {
        "form": form,
        "rep_table": rep_table,
        "team_table": team_table,
        "show_teams": len(team_cards) > 1 or has_staff_role(user, CHANNEL),
        "total": total,
        "shares": {
            "hot": scorecards.percent(total.hot_rate),
            "warm": scorecards.percent(total.warm_rate),
            "conversion": scorecards.percent(total.conversion),
        },
        "reps": len(cards),
        "nobody": not cards or (own_team and not any(p.manager_id == user.pk for p in people)),
        "days": days,
        "start": start,
        "query": _query_without(request, "_export", "of"),
        "can_allocate": has_staff_role(user, CHANNEL),
        "own_team": own_team,
    }
    return render(request, "manage/performance/reps.html", context)


@staff_required(*MANAGERS)
@require_GET
def scorecard_detail(request, pk: int):
    """One dealer: its scorecard, six months of trend, its weights and its stints."""
    dealer = get_dealer_for_staff(request.user, pk)
    now = timezone.now()
    weight = allocation.computed_weight(dealer_id=dealer.pk, now=now)
    show = request.GET.get("show", "")
    stints = Assignment.objects.filter(owner_dealer=dealer).select_related("lead")
    if show in STINT_FILTERS:
        stints = stints.filter(**STINT_FILTERS[show])
    page = Paginator(stints.order_by("-started_at", "-pk"), STINT_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "dealer": dealer,
        **selectors.scorecard_page(dealer_id=dealer.pk, now=now),
        "sector_labels": Dealer._meta.get_field("sectors").labels(dealer.sectors),
        "weight": weight,
        "changes": WeightChange.objects.filter(dealer=dealer)
        .select_related("actor")
        .order_by("-at", "-pk")[:10],
        "territories": dealer.territory_ownerships.select_related("territory").order_by(
            "territory__name"
        ),
        "page": page,
        "show": show,
        "stint_filters": list(STINT_FILTERS),
        "now": now,
        "can_allocate": has_staff_role(request.user, CHANNEL),
    }
    return render(request, "manage/performance/scorecard_detail.html", context)


# --- allocation --------------------------------------------------------------------------


def _formula() -> dict:
    return {
        "window": allocation.WINDOW_DAYS,
        "bucket": allocation.BUCKET_DAYS,
        "recency": allocation.RECENCY,
        "min_settled": scorecards.MIN_SETTLED_STINTS,
        "target_conversion": scorecards.percent(float(scorecards.TARGET_CONVERSION)),
        "floor": scorecards.WEIGHT_MIN,
        "ceiling": scorecards.WEIGHT_MAX,
    }


def _preview_form_shown(form: PreviewForm) -> PreviewForm:
    """The preview's form as the page shows it: with the number of leads the preview
    replayed (the default when none was given), or as sent with its error."""
    if not form.is_bound:
        return PreviewForm()
    if form.is_valid():
        return PreviewForm(initial={"leads": form.cleaned_data["leads"]})
    return form


@staff_required(*CHANNEL)
@require_GET
def allocation_page(request):
    """Current against computed weights, overrides, and (with ``?preview``) the what-if
    replay of the computed weights."""
    now = timezone.now()
    weights = allocation.weights_compute(now=now, dealers=dealers_managed_by(request.user))
    proposed = allocation.proposed_weights(weights)
    preview_form = PreviewForm(request.GET if "preview" in request.GET else None)
    preview = None
    if preview_form.is_valid():
        preview = allocation.whatif_preview(
            weights=proposed, limit=preview_form.cleaned_data["leads"], now=now
        )
    changing = [w for w in weights if w.changes]
    context = {
        "weights": weights,
        "changing": changing,
        "preview_form": _preview_form_shown(preview_form),
        "preview": preview,
        "preview_chart": preview_chart(preview) if preview else None,
        "apply_form": ApplyForm(
            initial={"expected": expected_json({w.dealer.pk: w.computed for w in weights})}
        ),
        "history": allocation.weight_history([w.dealer.pk for w in weights], limit=15),
        "formula": _formula(),
        "now": now,
    }
    return render(request, "manage/performance/allocation.html", context)


@staff_required(*CHANNEL)
@require_POST
def allocation_apply(request):
    form = ApplyForm(request.POST)
    back = reverse("manage:allocation")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(f"{back}?preview=1")
    try:
        changes = allocation.weights_apply(
            actor=request.user,
            dealers=dealers_managed_by(request.user),
            expected=form.cleaned_data["expected"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(f"{back}?preview=1")
    if changes:
        messages.success(
            request,
            ngettext(
                "The new weight of %(count)d dealer applies to the next lead.",
                "The new weights of %(count)d dealers apply to the next lead.",
                len(changes),
            )
            % {"count": len(changes)},
        )
    else:
        messages.info(request, _("Every dealer already has its computed weight."))
    return redirect(back)


@staff_required(*CHANNEL)
@require_http_methods(["GET", "POST"])
def allocation_dealer(request, pk: int):
    """One dealer's weight: how it is computed, its history, and an override, which can
    be previewed (GET with ``preview``) before it is saved (POST)."""
    dealer = get_dealer_for_staff(request.user, pk)
    now = timezone.now()
    status = 200
    preview = None
    if request.method == "POST":
        form = OverrideForm(request.POST)
        if form.is_valid():
            try:
                allocation.weight_override_set(
                    dealer=dealer,
                    actor=request.user,
                    weight=form.cleaned_data["weight"],
                    until=form.cleaned_data["until"],
                    reason=form.cleaned_data["reason"],
                    now=now,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(dealer)s now has weight %(weight)s until %(until)s.")
                    % {
                        "dealer": dealer.name,
                        "weight": l10n.number(form.cleaned_data["weight"], 2),
                        "until": date_format(form.cleaned_data["until"], "SHORT_DATE_FORMAT"),
                    },
                )
                return redirect("manage:allocation")
        status = 400
        preview_form = PreviewForm()
    elif "preview" in request.GET:
        form = OverrideForm(request.GET)
        preview_form = PreviewForm(request.GET)
        if form.is_valid() and preview_form.is_valid():
            preview = allocation.whatif_preview(
                weights={dealer.pk: form.cleaned_data["weight"]},
                limit=preview_form.cleaned_data["leads"],
                now=now,
            )
        preview_form = _preview_form_shown(preview_form)
    else:
        initial = {"until": timezone.localdate(now) + timedelta(days=30)}
        if dealer.weight_override is not None:
            initial = {
                "weight": dealer.weight_override,
                "until": dealer.weight_override_until,
                "reason": dealer.weight_override_reason,
            }
        form = OverrideForm(initial=initial)
        preview_form = PreviewForm()
    context = {
        "dealer": dealer,
        "weight": allocation.computed_weight(dealer_id=dealer.pk, now=now),
        "form": form,
        "preview_form": preview_form,
        "preview": preview,
        "preview_chart": preview_chart(preview) if preview else None,
        "end_form": OverrideEndForm(),
        "changes": WeightChange.objects.filter(dealer=dealer)
        .select_related("actor")
        .order_by("-at", "-pk")[:20],
        "formula": _formula(),
        "now": now,
    }
    return render(request, "manage/performance/allocation_dealer.html", context, status=status)


@staff_required(*CHANNEL)
@require_POST
def allocation_override_end(request, pk: int):
    dealer = get_dealer_for_staff(request.user, pk)
    form = OverrideEndForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        allocation.weight_override_clear(dealer=dealer, actor=request.user, reason=reason)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("manage:allocation_dealer", pk=dealer.pk)
    messages.success(
        request,
        _("The override of %(dealer)s ended: its performance weight %(weight)s applies again.")
        % {"dealer": dealer.name, "weight": l10n.number(dealer.performance_weight, 2)},
    )
    return redirect("manage:allocation")


# --- fairness ----------------------------------------------------------------------------

FAIRNESS_LARGE = 100  # below this a single lead moves a share by more than 1 %


@staff_required(*MANAGERS)
@require_GET
def fairness(request):
    report = allocation.fairness_report(territories=territories_managed_by(request.user))
    # Scopes with leads since their split last changed; right after a change (applying
    # the computed weights restarts every count) there are none to judge yet.
    measured = [s for s in report if s.deviation is not None]
    large = [s for s in measured if s.total >= FAIRNESS_LARGE]
    context = {
        "report": report,
        "scopes": len(report),
        "measured": len(measured),
        "leads": sum(s.total for s in report),
        "within_goal": sum(1 for s in measured if s.goal_met),
        "within_articles": sum(1 for s in measured if s.articles_met),
        "within_one_lead": sum(1 for s in measured if s.within_one_lead),
        "worst_large": max((s.deviation_percent for s in large), default=None),
        "large": FAIRNESS_LARGE,
        "can_allocate": has_staff_role(request.user, CHANNEL),
    }
    return render(request, "manage/performance/fairness.html", context)


# --- claim review ------------------------------------------------------------------------

REVIEW_TABS = ("conflicts", "clean", "decided")
DECIDED_DAYS = 30


def _claims_managed_by(user):
    return Claim.objects.filter(dealer__in=dealers_managed_by(user))


@staff_required(*CHANNEL)
@require_GET
def claim_review(request):
    """Pending claims with both sides of every conflict (the existing customer with its
    installed base, the other dealer's claim, the open leads), and the recent decisions."""
    now = timezone.now()
    tab = request.GET.get("show", "conflicts")
    if tab not in REVIEW_TABS:
        tab = "conflicts"
    managed = dealers_managed_by(request.user)
    pending = list(selectors.claims_for_review().filter(dealer__in=managed)[:200])
    conflicting = [c for c in pending if c.conflicts]
    clean = [c for c in pending if not c.conflicts]
    decided = (
        Claim.objects.filter(
            dealer__in=managed,
            decided_by__isnull=False,
            decided_at__gte=now - timedelta(days=DECIDED_DAYS),
            status__in=(Claim.Status.APPROVED, Claim.Status.REJECTED),
        )
        .select_related("dealer", "decided_by")
        .order_by("-decided_at")
    )
    if tab == "decided":
        claims = list(decided[:50])
        sides = {}
    else:
        claims = conflicting if tab == "conflicts" else clean
        sides = selectors.conflict_sides(claims)
        accounts = [s["account"] for rows in sides.values() for s in rows if s["kind"] == CUSTOMER]
        prefetch_related_objects(accounts, "installed_base", "account_manager", "serving_dealer")
        for claim in claims:
            claim.sides = sides.get(claim.pk, [])
    context = {
        "tab": tab,
        "claims": claims,
        "counts": {"conflicts": len(conflicting), "clean": len(clean), "decided": decided.count()},
        "form": ClaimDecisionForm(),
        "kinds": {"customer": CUSTOMER, "claim": CLAIM, "open_lead": OPEN_LEAD},
        "now": now,
    }
    return render(request, "manage/performance/claims.html", context)


@staff_required(*CHANNEL)
@require_POST
def claim_decide(request, pk: int):
    """Approve or reject (revoke, for an approved one) a claim with a reason; both
    dealers are notified by the service."""
    claim = get_object_or_404(_claims_managed_by(request.user), pk=pk)
    form = ClaimDecisionForm(request.POST)
    tab = request.POST.get("tab", "")
    back = reverse("manage:claims") + f"?show={tab if tab in REVIEW_TABS else 'conflicts'}"
    if not form.is_valid():
        messages.error(
            request,
            _("%(company)s: choose approve or reject and give a reason.")
            % {"company": claim.company_name},
        )
        return redirect(back)
    decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
    try:
        if decision == ClaimDecisionForm.APPROVE:
            services.claim_approve(claim=claim, actor=request.user, reason=reason)
        else:
            services.claim_reject(claim=claim, actor=request.user, reason=reason)
    except ValidationError as error:
        messages.error(request, f"{claim.company_name}: {error_text(error)}")
        return redirect(back)
    if decision == ClaimDecisionForm.APPROVE:
        text = _("The claim of %(dealer)s on %(company)s is approved; both dealers are told.")
    else:
        text = _("The claim of %(dealer)s on %(company)s is rejected; both dealers are told.")
    messages.success(request, text % {"dealer": claim.dealer.name, "company": claim.company_name})
    return redirect(back)
