"""Reads for staff reports.

``rejection_report``: why leads are rejected (by dealers and reps, the "rejected"
events with ``data["reason"]``) and lost (``Lead.close_reason``), counted by reason,
by source and by month, so marketing can review the lead definition (seed 004's
feedback loop). Two aggregate queries, whatever the period.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncMonth
from django.utils import timezone

from leads.models import CloseReason, Lead, LeadEvent

UNKNOWN = "unknown"


@dataclass
class ReasonRow:
    code: str
    label: str
    total: int = 0
    by_month: dict = field(default_factory=dict)  # date → count
    by_source: dict = field(default_factory=dict)  # source → count

    def months(self, months: list[date]) -> list[int]:
        return [self.by_month.get(m, 0) for m in months]

    def sources(self, sources: list[str]) -> list[int]:
        return [self.by_source.get(s, 0) for s in sources]


@dataclass
class ReasonTable:
    rows: list[ReasonRow]
    total: int

    def share(self, row: ReasonRow) -> float:
        return 100 * row.total / self.total if self.total else 0.0


@dataclass
class RejectionReport:
    since: datetime
    months: list[date]
    sources: list[str]
    rejected: ReasonTable
    lost: ReasonTable


def _month_starts(since: datetime, until: datetime) -> list[date]:
    first = timezone.localtime(since).date().replace(day=1)
    last = timezone.localtime(until).date().replace(day=1)
    months = []
    while first <= last:
        months.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return months


def _table(rows_iter) -> ReasonTable:
    labels = dict(CloseReason.choices)
    by_code: dict[str, ReasonRow] = {}
    for code, source, month, n in rows_iter:
        code = code or UNKNOWN
        row = by_code.get(code)
        if row is None:
            row = by_code[code] = ReasonRow(code, str(labels.get(code, code)))
        if isinstance(month, datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        row.total += n
        row.by_month[month] = row.by_month.get(month, 0) + n
        row.by_source[source] = row.by_source.get(source, 0) + n
    rows = sorted(by_code.values(), key=lambda r: (-r.total, r.code))
    return ReasonTable(rows=rows, total=sum(r.total for r in rows))


def rejection_report(
    *, since: datetime, until: datetime | None = None, source: str = ""
) -> RejectionReport:
    until = until or timezone.now()
    events = LeadEvent.objects.filter(kind=LeadEvent.Kind.REJECTED, at__gte=since, at__lt=until)
    lost = Lead.objects.filter(status=Lead.Status.LOST, closed_at__gte=since, closed_at__lt=until)
    if source:
        events = events.filter(lead__source=source)
        lost = lost.filter(source=source)
    rejected_rows = (
        events.annotate(code=KeyTextTransform("reason", "data"), month=TruncMonth("at"))
        .values_list("code", "lead__source", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    lost_rows = (
        lost.annotate(month=TruncMonth("closed_at"))
        .values_list("close_reason", "source", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rejected, lost_table = _table(rejected_rows), _table(lost_rows)
    sources = sorted(
        {s for t in (rejected, lost_table) for r in t.rows for s in r.by_source},
        key=lambda s: str(Lead.Source(s).label) if s in Lead.Source.values else s,
    )
    return RejectionReport(
        since=since,
        months=_month_starts(since, until),
        sources=sources,
        rejected=rejected,
        lost=lost_table,
    )
