"""The channel manager's scorecard table: one row per dealer, sortable, exportable to CSV
and XLSX. It renders the rows the view hands it (``scorecard_rows``, built from one
grouped scorecard query); it runs no queries of its own."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.scorecards import Scorecard
from leads.rep_scorecards import Figures as RepFigures
from portal import l10n

NUMBER = {"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}}
WIDE_NUMBER = {
    "th": {"class": "text-end d-none d-md-table-cell"},
    "td": {"class": "text-end text-nowrap d-none d-md-table-cell"},
}
STATUS_COLORS = {"active": "success", "paused": "warning", "terminated": "secondary"}
MISSING = -1.0  # sorts a rate nobody has yet below every real one
NO_MEDIAN = 1e9  # sorts "no first update yet" after every real median


@dataclass
class ScorecardRow:
    """One dealer's scorecard with the values the table shows and sorts by."""

    dealer: Dealer
    card: Scorecard
    weight: Decimal
    override: bool

    @property
    def name(self) -> str:
        return self.dealer.name

    @property
    def received(self) -> int:
        return self.card.received

    @property
    def follow_up(self) -> float:
        rate = self.card.follow_up_rate
        return MISSING if rate is None else rate

    @property
    def median(self) -> float:
        hours = self.card.median_first_update_hours
        return NO_MEDIAN if hours is None else hours

    @property
    def recycled(self) -> int:
        return self.card.recycled

    @property
    def rejected(self) -> int:
        return self.card.rejected

    @property
    def won(self) -> int:
        return self.card.won

    @property
    def lost(self) -> int:
        return self.card.lost

    @property
    def conversion(self) -> float:
        rate = self.card.conversion
        return MISSING if rate is None else rate

    @property
    def pipeline(self) -> Decimal:
        return self.card.pipeline_value

    @property
    def claims(self) -> int:
        return self.card.claims


def scorecard_rows(cards: Iterable[Scorecard], dealers: dict[int, Dealer]) -> list[ScorecardRow]:
    rows = []
    for card in cards:
        dealer = dealers[card.dealer_id]
        effective = Decimal(str(dealer.effective_weight())).quantize(Decimal("0.01"))
        rows.append(
            ScorecardRow(
                dealer=dealer,
                card=card,
                weight=effective,
                override=effective != dealer.performance_weight,
            )
        )
    return rows


def titled(attrs: dict, title) -> dict:
    """Column attributes with a header tooltip (the full name of a short header)."""
    return {**attrs, "th": {**attrs["th"], "title": title}}


def _percent(rate: float) -> str:
    return "—" if rate == MISSING else l10n.percent(rate * 100, 0)


class ScorecardTable(tables.Table):
    name = tables.Column(
        verbose_name=_("Dealer"), attrs={"td": {"class": "fw-semibold dealer-name"}}
    )
    received = tables.Column(verbose_name=_("Received"), attrs=NUMBER)
    follow_up = tables.Column(
        verbose_name=_("In SLA"), attrs=titled(NUMBER, _("Accepted within SLA (2 working days)"))
    )
    median = tables.Column(
        verbose_name=_("1st update"),
        attrs=titled(WIDE_NUMBER, _("Median working hours to the first update")),
    )
    recycled = tables.Column(verbose_name=_("Recycled"), attrs=NUMBER)
    rejected = tables.Column(verbose_name=_("Rejected"), attrs=WIDE_NUMBER)
    won = tables.Column(verbose_name=_("Won"), attrs=NUMBER)
    lost = tables.Column(verbose_name=_("Lost"), attrs=WIDE_NUMBER)
    conversion = tables.Column(
        verbose_name=_("Conversion"), attrs=titled(NUMBER, _("won ÷ (won + lost)"))
    )
    pipeline = tables.Column(
        verbose_name=_("Pipeline"), attrs=titled(WIDE_NUMBER, _("Estimated value of open leads"))
    )
    claims = tables.Column(
        verbose_name=_("Claims"), attrs=titled(WIDE_NUMBER, _("Active approved claims"))
    )
    weight = tables.Column(
        verbose_name=_("Weight"),
        attrs=titled(NUMBER, _("The allocation weight routing uses today")),
    )
    # Export only
    status = tables.Column(
        verbose_name=_("Status"), accessor="dealer__status", visible=False, orderable=False
    )
    countries = tables.Column(
        verbose_name=_("Countries"), accessor="dealer__pk", visible=False, orderable=False
    )
    measured = tables.Column(
        verbose_name=_("Measured stints"), accessor="card__measured", visible=False, orderable=False
    )
    followed_up = tables.Column(
        verbose_name=_("Followed up within SLA"),
        accessor="card__followed_up_in_sla",
        visible=False,
        orderable=False,
    )
    won_value = tables.Column(
        verbose_name=_("Won value"), accessor="card__won_value", visible=False, orderable=False
    )
    weight_override = tables.Column(
        verbose_name=_("Override"), accessor="override", visible=False, orderable=False
    )

    class Meta:
        order_by = ("name",)
        template_name = "manage/performance/_scorecard_table.html"
        attrs = {
            "class": "table table-sm table-hover align-middle mb-0 lead-table scorecard-table",
            "id": "scorecard-table",
        }
        row_attrs = {"data-dealer": lambda record: record.dealer.pk}
        empty_text = _("No dealer matches these filters.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.detail_url = reverse("manage:scorecard_detail", args=[987654321]).replace(
            "987654321", "{}"
        )
        self.status_labels = {value: str(label) for value, label in Dealer.Status.choices}

    # --- the rows, rendered directly: tables2's generic per-cell path (accessor lookups,
    # signature inspection) costs several times the page's queries for 40 dealers.
    def tbody_html(self):
        columns = [
            (
                column.attrs["td"].as_html(),
                getattr(self, f"render_{column.name}", None),
                column.name,
            )
            for column in self.columns
            if column.visible
        ]
        return format_html_join(
            "\n",
            '<tr data-dealer="{}">{}</tr>',
            (
                (
                    row.record.dealer.pk,
                    format_html_join(
                        "",
                        "<td {}>{}</td>",
                        (
                            (attrs, render(row.record) if render else getattr(row.record, name))
                            for attrs, render, name in columns
                        ),
                    ),
                )
                for row in self.rows
            ),
        )

    def render_name(self, record: ScorecardRow):
        dealer = record.dealer
        status = ""
        if dealer.status != Dealer.Status.ACTIVE:
            status = format_html(
                ' <span class="badge rounded-pill text-bg-{}">{}</span>',
                STATUS_COLORS.get(dealer.status, "light"),
                self.status_labels.get(dealer.status, dealer.status),
            )
        countries = ", ".join(c.code for c in dealer.countries)
        return format_html(
            '<a class="text-decoration-none" href="{}">{}</a>{}'
            '<div class="small text-muted fw-normal">{}</div>',
            self.detail_url.format(dealer.pk),
            dealer.name,
            status,
            countries,
        )

    def render_follow_up(self, record: ScorecardRow):
        card = record.card
        if card.follow_up_rate is None:
            return "—"
        css = (
            "text-success"
            if card.follow_up_rate >= 0.8
            else "text-danger"
            if card.follow_up_rate < 0.5
            else ""
        )
        return format_html(
            '<span class="{}" title="{} / {}">{}</span>',
            css,
            l10n.number(card.followed_up_in_sla),
            l10n.number(card.measured),
            _percent(card.follow_up_rate),
        )

    def render_median(self, record: ScorecardRow):
        hours = record.card.median_first_update_hours
        return "—" if hours is None else l10n.hours(hours)

    def render_conversion(self, record: ScorecardRow):
        return _percent(record.conversion)

    def render_pipeline(self, record: ScorecardRow):
        return l10n.amount(round(record.pipeline))

    def render_weight(self, record: ScorecardRow):
        if record.override:
            return format_html(
                '<span class="badge text-bg-info" title="{}">{}</span>',
                _("Manager override"),
                l10n.number(record.weight, 2),
            )
        return l10n.number(record.weight, 2)

    # --- values in the CSV / XLSX export ------------------------------------------
    def value_name(self, record: ScorecardRow):
        return record.dealer.name

    def value_follow_up(self, record: ScorecardRow):
        rate = record.card.follow_up_rate
        return "" if rate is None else round(rate * 100, 1)

    def value_median(self, record: ScorecardRow):
        hours = record.card.median_first_update_hours
        return "" if hours is None else round(hours, 1)

    def value_conversion(self, record: ScorecardRow):
        rate = record.card.conversion
        return "" if rate is None else round(rate * 100, 1)

    def value_pipeline(self, record: ScorecardRow):
        return str(record.pipeline)

    def value_weight(self, record: ScorecardRow):
        return str(record.weight)

    def value_status(self, record: ScorecardRow):
        return self.status_labels.get(record.dealer.status, record.dealer.status)

    def value_countries(self, record: ScorecardRow):
        return " ".join(c.code for c in record.dealer.countries)

    def value_won_value(self, record: ScorecardRow):
        return str(record.card.won_value)

    def value_weight_override(self, record: ScorecardRow):
        return "yes" if record.override else ""


# --- internal reps and teams ------------------------------------------------------------


@dataclass
class RepRow:
    """One rep's or one team's figures with the values the table shows and sorts by."""

    name: str
    detail: str  # the rep's role, or the team's size
    team: str
    figures: RepFigures

    def _rate(self, rate: float | None) -> float:
        return MISSING if rate is None else rate

    @property
    def received(self) -> int:
        return self.figures.received

    @property
    def hot(self) -> float:
        return self._rate(self.figures.hot_rate)

    @property
    def warm(self) -> float:
        return self._rate(self.figures.warm_rate)

    @property
    def follow_up(self) -> float:
        return self._rate(self.figures.follow_up_rate)

    @property
    def median(self) -> float:
        hours = self.figures.median_first_update_hours
        return NO_MEDIAN if hours is None else hours

    @property
    def escalated(self) -> int:
        return self.figures.escalated

    @property
    def won(self) -> int:
        return self.figures.won

    @property
    def lost(self) -> int:
        return self.figures.lost

    @property
    def conversion(self) -> float:
        return self._rate(self.figures.conversion)

    @property
    def pipeline(self) -> Decimal:
        return self.figures.pipeline_value


def _sla_cell(part: int, whole: int, rate: float | None):
    if rate is None:
        return "—"
    css = "text-success" if rate >= 0.8 else "text-danger" if rate < 0.5 else ""
    return format_html(
        '<span class="{}" title="{} / {}">{}</span>',
        css,
        l10n.number(part),
        l10n.number(whole),
        _percent(rate),
    )


def _export_rate(rate: float | None):
    return "" if rate is None else round(rate * 100, 1)


class RepScorecardTable(tables.Table):
    """Internal reps (or, as ``TeamScorecardTable``, their teams): sortable, exportable."""

    name = tables.Column(verbose_name=_("Rep"), attrs={"td": {"class": "fw-semibold"}})
    received = tables.Column(verbose_name=_("Received"), attrs=NUMBER)
    hot = tables.Column(
        verbose_name=_("Hot in SLA"),
        attrs=titled(NUMBER, _("Hot leads contacted within 4 working hours")),
    )
    warm = tables.Column(
        verbose_name=_("Warm in SLA"),
        attrs=titled(WIDE_NUMBER, _("Warm leads contacted within 1 working day")),
    )
    follow_up = tables.Column(
        verbose_name=_("In SLA"),
        attrs=titled(WIDE_NUMBER, _("All leads with a first update before their deadline")),
    )
    median = tables.Column(
        verbose_name=_("1st update"),
        attrs=titled(WIDE_NUMBER, _("Median working hours to the first update")),
    )
    escalated = tables.Column(
        verbose_name=_("Escalated"),
        attrs=titled(NUMBER, _("Leads escalated to the manager while this owner had them")),
    )
    won = tables.Column(verbose_name=_("Won"), attrs=WIDE_NUMBER)
    lost = tables.Column(verbose_name=_("Lost"), attrs=WIDE_NUMBER)
    conversion = tables.Column(
        verbose_name=_("Conversion"), attrs=titled(NUMBER, _("won ÷ (won + lost)"))
    )
    pipeline = tables.Column(
        verbose_name=_("Pipeline"), attrs=titled(WIDE_NUMBER, _("Estimated value of open leads"))
    )
    # Export only
    role = tables.Column(verbose_name=_("Role"), accessor="detail", visible=False)
    team = tables.Column(verbose_name=_("Team"), visible=False, orderable=False)
    measured = tables.Column(
        verbose_name=_("Measured stints"), accessor="figures__measured", visible=False
    )
    in_sla = tables.Column(
        verbose_name=_("Followed up within SLA"), accessor="figures__in_sla", visible=False
    )
    hot_measured = tables.Column(
        verbose_name=_("Hot leads measured"), accessor="figures__hot_measured", visible=False
    )
    hot_in_sla = tables.Column(
        verbose_name=_("Hot leads in SLA"), accessor="figures__hot_in_sla", visible=False
    )
    warm_measured = tables.Column(
        verbose_name=_("Warm leads measured"), accessor="figures__warm_measured", visible=False
    )
    warm_in_sla = tables.Column(
        verbose_name=_("Warm leads in SLA"), accessor="figures__warm_in_sla", visible=False
    )
    rejected = tables.Column(
        verbose_name=_("Rejected"), accessor="figures__rejected", visible=False
    )
    won_value = tables.Column(
        verbose_name=_("Won value"), accessor="figures__won_value", visible=False
    )
    open_stints = tables.Column(
        verbose_name=_("Open leads"), accessor="figures__open_stints", visible=False
    )

    class Meta:
        order_by = ("name",)
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {
            "class": "table table-sm table-hover align-middle mb-0 lead-table scorecard-table",
            "id": "rep-table",
        }
        empty_text = _("No rep in this team yet.")

    def render_name(self, record: RepRow):
        return format_html(
            '{}<div class="small text-muted fw-normal">{}</div>', record.name, record.detail
        )

    def render_hot(self, record: RepRow):
        f = record.figures
        return _sla_cell(f.hot_in_sla, f.hot_measured, f.hot_rate)

    def render_warm(self, record: RepRow):
        f = record.figures
        return _sla_cell(f.warm_in_sla, f.warm_measured, f.warm_rate)

    def render_follow_up(self, record: RepRow):
        f = record.figures
        return _sla_cell(f.in_sla, f.measured, f.follow_up_rate)

    def render_median(self, record: RepRow):
        hours = record.figures.median_first_update_hours
        return "—" if hours is None else l10n.hours(hours)

    def render_escalated(self, record: RepRow):
        return l10n.number(record.escalated)

    def render_received(self, record: RepRow):
        return l10n.number(record.received)

    def render_conversion(self, record: RepRow):
        return _percent(record.conversion)

    def render_pipeline(self, record: RepRow):
        return l10n.amount(round(record.pipeline))

    # --- values in the CSV / XLSX export ------------------------------------------
    def value_name(self, record: RepRow):
        return record.name

    def value_hot(self, record: RepRow):
        return _export_rate(record.figures.hot_rate)

    def value_warm(self, record: RepRow):
        return _export_rate(record.figures.warm_rate)

    def value_follow_up(self, record: RepRow):
        return _export_rate(record.figures.follow_up_rate)

    def value_median(self, record: RepRow):
        hours = record.figures.median_first_update_hours
        return "" if hours is None else round(hours, 1)

    def value_conversion(self, record: RepRow):
        return _export_rate(record.figures.conversion)

    def value_pipeline(self, record: RepRow):
        return str(record.pipeline)

    def value_won_value(self, record: RepRow):
        return str(record.figures.won_value)


class TeamScorecardTable(RepScorecardTable):
    name = tables.Column(verbose_name=_("Team"), attrs={"td": {"class": "fw-semibold"}})
    role = tables.Column(verbose_name=_("Reps"), accessor="detail", visible=False)
    team = None

    class Meta(RepScorecardTable.Meta):
        order_by = ()  # teams by manager, reps without one last, until a header is clicked
        attrs = {**RepScorecardTable.Meta.attrs, "id": "team-table"}
        empty_text = _("No team yet.")
