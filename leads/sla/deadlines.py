"""SLA deadlines for a new ownership stint, in business time (DESIGN.md, "Clocks").

One function decides every clock a stint starts, so the routing service, the demo
data and the SLA sweep agree:

- a dealer: first update within 2 working days (reminder at that moment), recycled
  after 5 working days without any update;
- an internal rep: a hot lead needs contact within 4 working hours, a warm one within
  1 working day (else the sales manager is notified); any owner without action gets a
  reminder after 1 working day and the manager is alerted after 2;
- a queue: nobody to remind; the pool is watched on the channel manager's dashboard.

Clocks run in the owner's calendar (DESIGN.md): the home country and region of the
dealer or rep (``leads.services.calendars`` looks them up), with its public holidays and
time zone; an owner without a home country, and a queue, follow the lead's country. The
prospect's own promises (the after-hours confirmation) keep the prospect's country.
"""

import functools
from dataclasses import dataclass
from datetime import datetime

from leads.sla import businesstime


@dataclass(frozen=True)
class SlaTerms:
    """The policy values the clocks need (``leads.models.Policy`` holds them)."""

    dealer_first_update_days: int = 2
    dealer_recycle_days: int = 5
    hot_contact_hours: int = 4
    warm_contact_days: int = 1
    action_reminder_days: int = 1
    action_escalation_days: int = 2
    workday_start: object = None
    workday_end: object = None

    @classmethod
    def from_policy(cls, policy) -> "SlaTerms":
        return cls(
            dealer_first_update_days=policy.dealer_first_update_days,
            dealer_recycle_days=policy.dealer_recycle_days,
            hot_contact_hours=policy.hot_contact_hours,
            warm_contact_days=policy.warm_contact_days,
            action_reminder_days=policy.action_reminder_days,
            action_escalation_days=policy.action_escalation_days,
            workday_start=policy.workday_start,
            workday_end=policy.workday_end,
        )


@dataclass(frozen=True)
class Deadlines:
    first_update_due_at: datetime | None = None
    reminder_due_at: datetime | None = None
    escalation_due_at: datetime | None = None
    recycle_due_at: datetime | None = None

    def as_fields(self) -> dict:
        return {
            "first_update_due_at": self.first_update_due_at,
            "reminder_due_at": self.reminder_due_at,
            "escalation_due_at": self.escalation_due_at,
            "recycle_due_at": self.recycle_due_at,
        }


NONE = Deadlines()


def region_subdivision(region: str, country: str) -> str | None:
    """The ``holidays`` subdivision of a stored region (``"DE-BY"`` -> ``"BY"``), or
    None when the region is empty or belongs to another country."""
    prefix, _sep, code = (region or "").partition("-")
    return code if code and prefix == country else None


def calendar_for(country: str, terms: SlaTerms, region: str = "") -> businesstime.WorkingCalendar:
    """The working calendar of ``country`` (and its ``region``, stored as ``"DE-BY"``)
    with the policy's working day."""
    overrides = {}
    if terms.workday_start is not None:
        overrides["day_start"] = terms.workday_start
    if terms.workday_end is not None:
        overrides["day_end"] = terms.workday_end
    code = getattr(country, "code", country) or "NL"  # a django-countries Country or a code
    return _calendar(code, region_subdivision(region, code), tuple(sorted(overrides.items())))


_calendars: dict = {}


def _calendar(country: str, subdivision: str | None, overrides: tuple):
    key = (country, subdivision, overrides)
    if key not in _calendars:
        _calendars[key] = businesstime.WorkingCalendar.for_country(
            country, subdivision, **dict(overrides)
        )
    return _calendars[key]


def stint_deadlines(
    *,
    owner_kind: str,
    temperature: str,
    country: str,
    start: datetime,
    terms: SlaTerms,
    region: str = "",
) -> Deadlines:
    """The clocks a stint starting at ``start`` runs, for an owner of ``owner_kind``
    working in ``country`` (and ``region``): the owner's calendar, not the lead's."""
    cal = calendar_for(country, terms, region)
    if owner_kind == "dealer":
        due = businesstime.add_working_days(start, terms.dealer_first_update_days, cal)
        return Deadlines(
            first_update_due_at=due,
            reminder_due_at=due,
            recycle_due_at=businesstime.add_working_days(start, terms.dealer_recycle_days, cal),
        )
    if owner_kind == "user":
        if temperature == "hot":
            due = businesstime.add_working_hours(start, terms.hot_contact_hours, cal)
        elif temperature == "warm":
            due = businesstime.add_working_days(start, terms.warm_contact_days, cal)
        else:
            due = businesstime.add_working_days(start, terms.action_reminder_days, cal)
        return Deadlines(
            first_update_due_at=due,
            reminder_due_at=businesstime.add_working_days(start, terms.action_reminder_days, cal),
            escalation_due_at=(
                due
                if temperature in ("hot", "warm")
                else businesstime.add_working_days(start, terms.action_escalation_days, cal)
            ),
        )
    return NONE


def working_hours(
    start: datetime, end: datetime, country: str, terms: SlaTerms, region: str = ""
) -> float:
    """Working hours between two moments in the owner's calendar (for scorecards)."""
    return businesstime.working_hours_between(start, end, calendar_for(country, terms, region))


def after_hours(moment: datetime, country: str, terms: SlaTerms) -> bool:
    return _after_hours(moment, getattr(country, "code", country), terms)


@functools.lru_cache(maxsize=256)
def _after_hours(moment: datetime, country: str, terms: SlaTerms) -> bool:
    """(The leads of a batch share their moment: asked once per country, not per lead.)"""
    return businesstime.is_outside_working_hours(moment, calendar_for(country, terms))


def next_working_start(
    moment: datetime, country: str, terms: SlaTerms, region: str = ""
) -> datetime:
    return businesstime.next_working_start(moment, calendar_for(country, terms, region))


def add_working_days(
    start: datetime, days: int, country: str, terms: SlaTerms, region: str = ""
) -> datetime:
    return businesstime.add_working_days(start, days, calendar_for(country, terms, region))
