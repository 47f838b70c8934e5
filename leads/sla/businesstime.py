"""Business time: when SLA clocks run and when they run out.

Pure Python (stdlib + ``holidays``): no Django, no settings, no clock read.
Callers pass the moment a clock starts; every function is deterministic.

The definitions are fixed by DESIGN.md ("Definitions" -> "Clocks"):

* Clocks run in the owner's country, in its local time, with weekends and its
  public holidays (and its subdivision's, where set) off.
* A clock that starts outside working hours starts at the next working day's
  ``day_start`` (Saturday 11:00 -> Monday 08:30).
* Durations under a day count working hours inside the daily window
  (default Mon-Fri 08:30-17:30): Friday 16:00 + 4 h -> Monday 11:00.
* Durations of a day or more count working days, 24 hours each, and end at the
  same local wall time n working days later: Friday 15:00 + 48 h -> Tuesday
  15:00 (Wednesday 15:00 when Monday is a holiday), also across a DST change.

The working window of a day is half-open: ``[day_start, day_end)``. 08:30 is
working time, 17:30 is not. A working-hours deadline that uses up a day
exactly ends at ``day_end`` of that day (not at the next day's ``day_start``).

All inputs must be timezone-aware (any zone, e.g. UTC); all results are aware
datetimes in the calendar's timezone.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "DEFAULT_TIMEZONES",
    "FALLBACK_TIMEZONE",
    "WorkingCalendar",
    "add_working_days",
    "add_working_hours",
    "clock_start",
    "is_outside_working_hours",
    "is_working_day",
    "is_working_time",
    "next_working_start",
    "working_hours_between",
]

DEFAULT_TIMEZONES: dict[str, str] = {
    "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels",
    "DE": "Europe/Berlin",
    "AT": "Europe/Vienna",
    "CH": "Europe/Zurich",
    "LU": "Europe/Luxembourg",
}
FALLBACK_TIMEZONE = "Europe/Amsterdam"

MONDAY_TO_FRIDAY: frozenset[int] = frozenset(range(5))  # date.weekday(): Monday is 0
ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class WorkingCalendar:
    """Where and when a clock runs: a country's working days and daily window.

    ``timezone`` defaults to the country's zone (see ``DEFAULT_TIMEZONES``).
    An unknown country has no holidays (only weekends off); an unknown
    subdivision falls back to the country's national holidays.
    """

    country: str
    subdivision: str | None = None
    timezone: str | None = None
    workdays: frozenset[int] = MONDAY_TO_FRIDAY
    day_start: time = time(8, 30)
    day_end: time = time(17, 30)
    tz: ZoneInfo = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        country = self.country.strip().upper()
        subdivision = (self.subdivision or "").strip() or None
        timezone = self.timezone or DEFAULT_TIMEZONES.get(country, FALLBACK_TIMEZONE)
        workdays = frozenset(self.workdays)
        if not workdays or not workdays <= frozenset(range(7)):
            raise ValueError(f"workdays must be a non-empty set of weekdays 0-6, got {workdays!r}")
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("day_start and day_end are local wall times and must be naive")
        if not self.day_start < self.day_end:
            raise ValueError(
                f"day_start ({self.day_start}) must be before day_end ({self.day_end})"
            )
        # Frozen: normalised values are set the way dataclasses themselves do it.
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "subdivision", subdivision)
        object.__setattr__(self, "timezone", timezone)
        object.__setattr__(self, "workdays", workdays)
        object.__setattr__(self, "tz", ZoneInfo(timezone))

    @classmethod
    def for_country(
        cls, country: str, subdivision: str | None = None, **overrides: object
    ) -> WorkingCalendar:
        """The default calendar of a country; ``overrides`` replace any other field."""
        return cls(country=country, subdivision=subdivision, **overrides)  # type: ignore[arg-type]

    @property
    def working_day_length(self) -> timedelta:
        """Length of the daily window in wall-clock time (9 h for 08:30-17:30)."""
        return datetime.combine(date.min, self.day_end) - datetime.combine(date.min, self.day_start)

    def holidays_in(self, year: int) -> frozenset[date]:
        """The public holidays this calendar takes off in ``year``."""
        return _holidays(self.country, self.subdivision, year)


@functools.lru_cache(maxsize=1024)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of one country (and subdivision) in one year, cached."""
    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:
        if subdivision is None:
            return frozenset()  # no holiday data for this country: weekends only
        return _holidays(country, None, year)
    return frozenset(calendar)


# --- Days and moments -------------------------------------------------------


def is_working_day(d: date, cal: WorkingCalendar) -> bool:
    """A workday of the week that is not a public holiday."""
    return d.weekday() in cal.workdays and d not in _holidays(cal.country, cal.subdivision, d.year)


def is_working_time(moment: datetime, cal: WorkingCalendar) -> bool:
    """Inside the working window ``[day_start, day_end)`` of a working day."""
    local = _local(moment, cal)
    if not is_working_day(local.date(), cal):
        return False
    window_start, window_end = _window(local.date(), cal)
    return window_start <= local.astimezone(UTC) < window_end


def is_outside_working_hours(moment: datetime, cal: WorkingCalendar) -> bool:
    return not is_working_time(moment, cal)


def next_working_start(moment: datetime, cal: WorkingCalendar) -> datetime:
    """The first ``day_start`` of a working day at or after ``moment``.

    For a moment inside working hours that is the next working day's start:
    "outside working hours -> the owner gets a task at the start of the next
    working day". ``day_start`` itself counts as "at", so it is returned as is.
    """
    instant = _utc(moment)
    day = _local(moment, cal).date()
    while True:
        if is_working_day(day, cal):
            window_start, _ = _window(day, cal)
            if window_start >= instant:
                return window_start.astimezone(cal.tz)
        day += ONE_DAY


def clock_start(moment: datetime, cal: WorkingCalendar) -> datetime:
    """When a clock started at ``moment`` starts running.

    Inside working hours: the moment itself. Outside: the next working day's
    ``day_start`` (Saturday 11:00 -> Monday 08:30, Wednesday 07:00 ->
    Wednesday 08:30, Wednesday 18:00 -> Thursday 08:30).
    """
    if is_working_time(moment, cal):
        return _local(moment, cal)
    return next_working_start(moment, cal)


# --- Deadlines ----------------------------------------------------------------


def add_working_hours(start: datetime, hours: float, cal: WorkingCalendar) -> datetime:
    """``hours`` of working time after the clock starts (the "under a day" rule).

    Friday 16:00 + 4 h -> Monday 11:00. Elapsed time is real time, so a window
    that contains a DST change counts the hours that actually pass.
    """
    if hours < 0:
        raise ValueError(f"hours must not be negative, got {hours!r}")
    remaining = timedelta(hours=hours)
    instant = clock_start(start, cal).astimezone(UTC)
    while True:
        day = instant.astimezone(cal.tz).date()
        _, window_end = _window(day, cal)
        available = window_end - instant
        if remaining <= available:
            return (instant + remaining).astimezone(cal.tz)
        remaining -= available
        instant = next_working_start(window_end, cal).astimezone(UTC)


def add_working_days(start: datetime, days: int, cal: WorkingCalendar) -> datetime:
    """``days`` whole working days after the clock starts (the "a day or more" rule).

    The result has the same local wall time as the clock start, ``days``
    working days later: Friday 15:00 + 2 -> Tuesday 15:00, Saturday 11:00 + 2
    -> Wednesday 08:30. Wall time is kept across a DST change.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, got {days!r}")
    if days < 0:
        raise ValueError(f"days must not be negative, got {days!r}")
    begin = clock_start(start, cal)
    day = begin.date()
    while days:
        day += ONE_DAY
        if is_working_day(day, cal):
            days -= 1
    return _at(day, begin.time(), cal).astimezone(cal.tz)


# --- Measuring ----------------------------------------------------------------


def working_hours_between(start: datetime, end: datetime, cal: WorkingCalendar) -> float:
    """Working hours between two moments (0.0 if ``end`` is not after ``start``).

    Counts the overlap with each working day's window, one step per calendar
    day. Used for "median time to first update" on scorecards.
    """
    begin, finish = _utc(start), _utc(end)
    if finish <= begin:
        return 0.0
    day = _local(start, cal).date()
    last = _local(end, cal).date()
    total = timedelta(0)
    while day <= last:
        if is_working_day(day, cal):
            window_start, window_end = _window(day, cal)
            overlap = min(finish, window_end) - max(begin, window_start)
            if overlap > timedelta(0):
                total += overlap
        day += ONE_DAY
    return total / ONE_HOUR


# --- Helpers --------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"naive datetime {moment.isoformat()}: business time needs an aware datetime "
            "(e.g. django.utils.timezone.now() or datetime(..., tzinfo=ZoneInfo(...)))"
        )
    return moment.astimezone(UTC)


def _local(moment: datetime, cal: WorkingCalendar) -> datetime:
    return _utc(moment).astimezone(cal.tz)


def _at(day: date, wall: time, cal: WorkingCalendar) -> datetime:
    """The UTC instant of a local wall time on a local date.

    A wall time skipped by a DST change (02:30 on the spring-forward night)
    maps to the instant the same distance after the change (03:30).
    """
    return datetime.combine(day, wall, tzinfo=cal.tz).astimezone(UTC)


def _window(day: date, cal: WorkingCalendar) -> tuple[datetime, datetime]:
    """The working window of a day as UTC instants ``[start, end)``."""
    return _at(day, cal.day_start, cal), _at(day, cal.day_end, cal)
