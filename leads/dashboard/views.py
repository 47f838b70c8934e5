"""The channel manager's dashboard (``manage:dashboard``): leads in, follow-up, forgotten
leads, time to first update and conversion by period and routing rule, with the trend,
the distribution over dealers and the funnel as charts, and the pool waiting for an
owner, and a card of the internal reps' teams (the rep scorecards' figures: hot and warm
leads in SLA, median first update, escalations, conversion) linking to
``manage:rep_scorecards``. Channel and sales managers (a sales manager's card shows
their own team); the figures come from ``leads.dashboard.figures``."""

from django import forms
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from dealers.models import Claim
from leads.dashboard import figures
from leads.staff.forms import BulkReassignForm
from portal.choices import ROUTED_COUNTRIES, RULE_LABELS
from portal.staff import (
    CHANNEL,
    MANAGERS,
    dealers_managed_by,
    has_staff_role,
    managed_countries,
    staff_required,
)

CHART_DEALERS = 20
PERIOD_LABELS = (
    ("30d", gettext_lazy("Last 4 weeks")),
    ("90d", gettext_lazy("Last 12 weeks")),
    ("180d", gettext_lazy("Last 6 months")),
    ("365d", gettext_lazy("Last 12 months")),
)


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIOD_LABELS, required=False)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    rule = forms.ChoiceField(
        label=gettext_lazy("Routing rule"),
        choices=[("", gettext_lazy("All rules")), *RULE_LABELS.items()],
        required=False,
    )

    def __init__(self, *args, countries=None, **kwargs):
        from django_countries import countries as names

        super().__init__(*args, **kwargs)
        codes = sorted(countries) if countries else ROUTED_COUNTRIES
        self.fields["country"].choices = [
            ("", gettext_lazy("All countries")),
            *((code, names.name(code)) for code in codes),
        ]


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _label(start, weekly: bool) -> str:
    if weekly:
        return formats.date_format(start, "MONTH_DAY_FORMAT")
    return formats.date_format(start, "YEAR_MONTH_FORMAT")


def _charts(trend, dealers, funnel, weekly: bool) -> dict:
    return {
        "trend": {
            "labels": [_label(p.start, weekly) for p in trend],
            "leads_in": [p.leads_in for p in trend],
            "follow_up": [_percent(p.figures.follow_up_rate) for p in trend],
            "forgotten": [_percent(p.figures.forgotten_rate) for p in trend],
            "conversion": [_percent(p.figures.conversion) for p in trend],
        },
        "dealers": {
            "labels": [d.name for d in dealers[:CHART_DEALERS]],
            "received": [d.received for d in dealers[:CHART_DEALERS]],
            "won": [d.won for d in dealers[:CHART_DEALERS]],
        },
        "funnel": {
            "labels": [label for _stage, label, _n in funnel],
            "counts": [n for _stage, _label, n in funnel],
        },
        "text": {
            "leads_in": _("Leads in"),
            "follow_up": _("Follow-up within SLA (%)"),
            "forgotten": _("Forgotten (%)"),
            "conversion": _("Conversion (%)"),
            "received": _("Leads received"),
            "won": _("Won"),
            "leads": _("Leads"),
        },
    }


@staff_required(*MANAGERS)
@require_GET
def dashboard_page(request):
    countries = managed_countries(request.user)
    data = request.GET.copy()
    data.setdefault("period", figures.DEFAULT_PERIOD)
    form = DashboardFilterForm(data, countries=countries)
    data = form.cleaned_data if form.is_valid() else {}
    period = data.get("period") or figures.DEFAULT_PERIOD
    now = timezone.now()
    scope = figures.Scope.for_period(
        period,
        now=now,
        country=data.get("country") or "",
        rule=data.get("rule") or "",
        countries=countries,
    )
    key = ":".join([period, scope.country, scope.rule, ",".join(sorted(countries or ()))])
    overview = figures.overview_cached(scope, key=key)
    funnel = [(stage, str(figures.STAGE_LABELS[stage]), n) for stage, n in overview.funnel]
    pool = figures.pool_summary(limit=5)
    rep_days = figures.PERIODS.get(period, figures.PERIODS[figures.DEFAULT_PERIOD])
    channel = has_staff_role(request.user, CHANNEL)
    rep_teams = figures.rep_teams_cached(
        days=rep_days,
        now=now,
        manager_id=None if channel else request.user.pk,
        countries=countries,
    )
    total = overview.total
    dealers = overview.dealers
    trend = overview.trend
    context = {
        "form": form,
        "period": period,
        "scope": scope,
        "total": total,
        "follow_up": _percent(total.follow_up_rate),
        "forgotten": _percent(total.forgotten_rate),
        "conversion": _percent(total.conversion),
        "by_rule": [
            {
                "rule": rule,
                "label": RULE_LABELS.get(rule, rule),
                "figures": figures,
                "follow_up": _percent(figures.follow_up_rate),
                "forgotten": _percent(figures.forgotten_rate),
                "conversion": _percent(figures.conversion),
            }
            for rule, figures in overview.by_rule
        ],
        "charts": _charts(trend, dealers, funnel, scope.weekly),
        "trend": trend,
        "dealers": dealers,
        "dealer_count": len(dealers),
        "chart_dealers": CHART_DEALERS,
        "funnel": funnel,
        "pool": pool,
        "pending_claims": Claim.objects.filter(
            status=Claim.Status.PENDING, dealer__in=dealers_managed_by(request.user)
        ).count(),
        "assign_form": BulkReassignForm(user=request.user),
        "next": request.get_full_path(),
        "now": now,
        "computed_at": overview.computed_at,
        "can_allocate": channel,
        "rep_days": rep_days,
        "rep_teams": [
            {
                "team": team,
                "hot_warm": _percent(team.figures.hot_warm_rate),
                "conversion": _percent(team.figures.conversion),
            }
            for team in rep_teams
        ],
        "rep_team_links": len(rep_teams) > 1,
    }
    return render(request, "manage/performance/dashboard.html", context)
