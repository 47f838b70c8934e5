"""The lead table shared by the dealer inbox and "My leads". It renders what the
selector's queryset holds (``leads.selectors.leads_for_table``); no queries of its own.

At phone width each row is a card (``table-cards`` in static/css/portal.css): the
company heads it with status and temperature underneath, then the SLA and the value,
each with its column's name (``data-label``); the other columns hide. The export adds the contact details and
plain values (no HTML)."""

from html import escape
from urllib.parse import urlencode

import django_tables2 as tables
from django.core.paginator import EmptyPage
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_tables2 import LazyPaginator
from django_tables2.utils import AttributeDict

from leads.models import Lead
from portal import l10n
from portal.choices import Sector
from portal.templatetags.ui import Countdown

WIDE = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
WIDER = {"th": {"class": "d-none d-xl-table-cell"}, "td": {"class": "d-none d-xl-table-cell"}}
NUMBER = {
    "th": {"class": "d-none d-lg-table-cell text-end"},
    # on a phone the row is a card (``table-cards`` in portal.css) that shows the value
    "td": {"class": "d-none d-lg-table-cell text-end text-nowrap card-show"},
}
# The largest row offset PostgreSQL and SQLite take (a signed 64-bit integer).
MAX_OFFSET = 2**63 - 1


class LeadPaginator(LazyPaginator):
    """tables2's paginator without a COUNT; a page number whose rows would start beyond
    any offset a database takes (``?page=999…``) is an empty page, like one past the end."""

    def validate_number(self, number):
        number = super().validate_number(number)
        if (number + self.look_ahead) * self.per_page > MAX_OFFSET:
            raise EmptyPage(_("That page contains no results"))
        return number


STATUS_COLORS = {
    "new": "primary",
    "accepted": "info",
    "contacted": "info",
    "meeting": "info",
    "proposal": "warning",
    "won": "success",
    "lost": "secondary",
}
TEMPERATURE_COLORS = {"hot": "danger", "warm": "warning", "cold": "secondary"}


class Labels:
    """Choice labels and badges, built once per language (``Labels.current()``), not
    once per cell or page: the choices are fixed in code."""

    _built: dict[str, "Labels"] = {}

    @classmethod
    def current(cls) -> "Labels":
        language = get_language()
        if language not in cls._built:
            cls._built[language] = cls()
        return cls._built[language]

    def __init__(self):
        self.status = {value: str(label) for value, label in Lead.Status.choices}
        self.temperature = {"hot": str(_("Hot")), "warm": str(_("Warm")), "cold": str(_("Cold"))}
        self.sector = {value: escape(str(label)) for value, label in Sector.choices}
        self.status_badge = {
            value: _badge(STATUS_COLORS.get(value, "light"), label)
            for value, label in self.status.items()
        }
        self.temperature_badge = {
            value: _badge(TEMPERATURE_COLORS[value], label)
            for value, label in self.temperature.items()
        }


def _badge(color: str, label: str) -> str:
    return f'<span class="badge rounded-pill text-bg-{color}">{escape(label)}</span>'


def status_badge(lead: Lead, labels: Labels) -> str:
    return labels.status_badge.get(lead.status) or _badge("light", lead.status)


def temperature_badge(lead: Lead, labels: Labels) -> str:
    return labels.temperature_badge.get(lead.temperature) or _badge("light", lead.temperature)


def sla_cell(lead: Lead, countdown: Countdown):
    """The SLA countdown (as the ``{% due %}`` tag shows it), else the planned next step."""
    if lead.first_update_due_at is not None:
        return countdown(lead.first_update_due_at)
    if lead.status in Lead.OPEN_STATUSES and lead.next_step_on:
        return format_html(
            '<span class="text-muted" title="{}"><i aria-hidden="true" class="bi bi-calendar-event"></i> {}</span>',
            lead.next_step,
            date_format(lead.next_step_on, "SHORT_DATE_FORMAT"),
        )
    return "—"


def card_label(column) -> str:
    """A column's header as the label of its cell in a card (escaped)."""
    return escape(str(column.header))


class LeadTable(tables.Table):
    company_name = tables.Column(verbose_name=_("Company"), attrs={"td": {"class": "lead-company"}})
    # Columns with choices read the record (accessor "pk"): tables2 would otherwise call
    # get_FOO_display per cell, which re-translates every choice each time.
    status = tables.Column(
        verbose_name=_("Status"), accessor="pk", order_by=("status",), attrs=WIDE
    )
    temperature = tables.Column(
        verbose_name=_("Temperature"), accessor="pk", order_by=("temperature",), attrs=WIDE
    )
    sla = tables.Column(
        verbose_name=_("SLA"),
        accessor="first_update_due_at",
        order_by=("first_update_due_at", "next_step_on"),
        empty_values=(),
        attrs={"td": {"class": "text-nowrap"}},
    )
    sector = tables.Column(
        verbose_name=_("Sector"), accessor="pk", order_by=("sector",), attrs=WIDER
    )
    estimated_value = tables.Column(verbose_name=_("Value"), attrs=NUMBER)
    dealer_assignee = tables.Column(
        verbose_name=_("Handled by"), attrs=WIDER, order_by=("dealer_assignee__name",)
    )
    created_at = tables.Column(verbose_name=_("Received"), attrs=WIDE)

    class Meta:
        model = Lead
        fields = ()
        sequence = (
            "company_name",
            "status",
            "temperature",
            "sla",
            "sector",
            "estimated_value",
            "dealer_assignee",
            "created_at",
        )
        order_by = ("-created_at",)
        attrs = {
            "class": "table table-hover align-middle mb-0 lead-table table-cards",
            "thead": {"hx-boost": "true"},
        }
        row_attrs = {"data-lead": lambda record: record.pk}
        empty_text = _("No leads match these filters.")

    def __init__(self, *args, now=None, show_assignee=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.labels = Labels.current()
        self.countdown = Countdown(self.now)
        self._days: dict = {}
        self.detail_url = reverse("leads:detail", args=[987654321]).replace("987654321", "{}")
        if not show_assignee:
            self.columns.hide("dealer_assignee")

    def order_sla(self, queryset, is_descending):
        """Most urgent first; leads without a running clock last (either way)."""
        due_at = F("first_update_due_at")
        due_at = due_at.desc(nulls_last=True) if is_descending else due_at.asc(nulls_last=True)
        return queryset.order_by(due_at, "next_step_on", "-pk"), True

    # --- the page's header and rows -----------------------------------------------------
    def thead_html(self):
        """The header row as tables2's bootstrap5 template renders it (a sort link per
        orderable column that keeps the other query parameters), built in Python: the
        template's per-column lookups and querystring tags cost as much as the rows."""
        request = getattr(self, "request", None)
        params = dict(request.GET) if request is not None else {}
        field = self.prefixed_order_by_field
        cells = []
        for column in self.columns:
            header = escape(str(column.header))
            if column.orderable:
                query = urlencode({**params, field: column.order_by_alias.next}, doseq=True)
                header = f'<a href="{escape("?" + query)}">{header}</a>'
            cells.append(f'<th {column.attrs["th"].as_html()} scope="col">{header}</th>')
        thead = AttributeDict(self.attrs.get("thead", {})).as_html()
        return mark_safe(f"<thead {thead}><tr>{''.join(cells)}</tr></thead>")  # escaped

    def tbody_html(self):
        """The visible rows of the current page as HTML. The cells come from the
        ``cell_*`` methods below, called directly and built as plain strings (user data
        escaped): tables2's generic per-cell path and ``format_html`` per cell cost more
        than all of the page's queries."""
        columns = [
            (
                column.attrs["td"].as_html()
                + ("" if column.name == "company_name" else f' data-label="{card_label(column)}"'),
                getattr(self, f"cell_{column.name}"),
            )
            for column in self.columns
            if column.visible
        ]
        rows = []
        for row in self.page.object_list:
            record = row.record
            cells = "".join(f"<td {attrs}>{cell(record)}</td>" for attrs, cell in columns)
            rows.append(f'<tr data-lead="{record.pk}">{cells}</tr>')
        return mark_safe("\n".join(rows))  # every value above is escaped

    def cell_company_name(self, record: Lead) -> str:
        place = " · ".join(filter(None, [record.city or record.postcode, record.country_code]))
        return (
            f'<a class="fw-semibold text-decoration-none" '
            f'href="{self.detail_url.format(record.pk)}">{escape(record.company_name)}</a>'
            f'<div class="small text-muted">{escape(place)}</div>'
            f'<div class="d-md-none mt-1 d-flex flex-wrap gap-1">'
            f"{status_badge(record, self.labels)}{temperature_badge(record, self.labels)}</div>"
        )

    def cell_status(self, record: Lead) -> str:
        return status_badge(record, self.labels)

    def cell_temperature(self, record: Lead) -> str:
        return temperature_badge(record, self.labels)

    def cell_sla(self, record: Lead) -> str:
        return sla_cell(record, self.countdown)

    def cell_sector(self, record: Lead) -> str:
        return self.labels.sector.get(record.sector, "—")

    def cell_estimated_value(self, record: Lead) -> str:
        value = record.estimated_value
        return "—" if value is None else l10n.amount(value)

    def cell_dealer_assignee(self, record: Lead) -> str:
        return escape(record.dealer_assignee.name) if record.dealer_assignee_id else "—"

    def cell_created_at(self, record: Lead) -> str:
        local = timezone.localtime(record.created_at)
        day = local.date()
        if day not in self._days:  # leads of one day share the formatted date
            self._days[day] = date_format(day, "SHORT_DATE_FORMAT")
        return f'<span title="{local:%H:%M}">{self._days[day]}</span>'

    # tables2's own rendering (render_table) shows the same cells
    def render_company_name(self, record: Lead):
        return mark_safe(self.cell_company_name(record))

    def render_status(self, record: Lead):
        return mark_safe(self.cell_status(record))

    def render_temperature(self, record: Lead):
        return mark_safe(self.cell_temperature(record))

    def render_sla(self, record: Lead):
        return mark_safe(self.cell_sla(record))

    def render_sector(self, record: Lead):
        return mark_safe(self.cell_sector(record))

    def render_estimated_value(self, record: Lead):
        return mark_safe(self.cell_estimated_value(record))

    def render_dealer_assignee(self, record: Lead):
        return mark_safe(self.cell_dealer_assignee(record))

    def render_created_at(self, record: Lead):
        return mark_safe(self.cell_created_at(record))

    # --- values in the CSV / XLSX export ------------------------------------------
    def value_company_name(self, record: Lead):
        return record.company_name

    def value_status(self, record: Lead):
        return self.labels.status.get(record.status, record.status)

    def value_temperature(self, record: Lead):
        return self.labels.temperature.get(record.temperature, record.temperature)

    def value_sector(self, record: Lead):
        return self.labels.sector.get(record.sector, "")

    def value_sla(self, record: Lead):
        if record.first_update_due_at is None:
            return ""
        return timezone.localtime(record.first_update_due_at).strftime("%Y-%m-%d %H:%M")

    def value_estimated_value(self, value):
        return "" if value is None else str(value)

    def value_dealer_assignee(self, value):
        return value.name if value else ""

    def value_created_at(self, value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class LeadExportTable(LeadTable):
    """The inbox table plus the contact details and plain values a CRM import needs
    (CSV / XLSX). The page's table leaves these columns out, which keeps it light."""

    lead_id = tables.Column(
        verbose_name=_("Lead id"), accessor="pk", visible=False, orderable=False
    )
    contact_name = tables.Column(verbose_name=_("Contact person"), visible=False)
    contact_email = tables.Column(verbose_name=_("E-mail"), visible=False)
    contact_phone = tables.Column(verbose_name=_("Phone"), visible=False)
    city = tables.Column(verbose_name=_("City"), visible=False)
    postcode = tables.Column(verbose_name=_("Postcode"), visible=False)
    country = tables.Column(verbose_name=_("Country"), visible=False)
    next_step = tables.Column(verbose_name=_("Next step"), visible=False)
    next_step_on = tables.Column(verbose_name=_("Next step on"), visible=False)
    url = tables.Column(verbose_name=_("Link"), accessor="pk", visible=False, orderable=False)

    class Meta(LeadTable.Meta):
        sequence = (*LeadTable.Meta.sequence, "...")

    def __init__(self, *args, hide_contact=None, **kwargs):
        """``hide_contact(lead)``: whether the reader may not see the lead's contact
        yet (``leads.access.contact_hidden``); those cells stay empty."""
        super().__init__(*args, **kwargs)
        self.hide_contact = hide_contact or (lambda lead: False)

    def _contact(self, record: Lead, name: str) -> str:
        return "" if self.hide_contact(record) else getattr(record, name)

    def value_contact_name(self, record: Lead):
        return self._contact(record, "contact_name")

    def value_contact_email(self, record: Lead):
        return self._contact(record, "contact_email")

    def value_contact_phone(self, record: Lead):
        return self._contact(record, "contact_phone")

    def value_country(self, record: Lead):
        return record.country_code

    def value_next_step_on(self, value):
        return value.isoformat() if value else ""

    def value_url(self, record: Lead):
        return reverse("leads:detail", args=[record.pk])
