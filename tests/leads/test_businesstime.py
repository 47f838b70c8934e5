"""Business-time clocks (DESIGN.md "Definitions" -> "Clocks"). No Django, no database.

Moments are written as "Fri 2026-03-06 16:00" in the calendar's local time; the
weekday is checked, so a table row cannot silently point at the wrong day.

2026 dates used: Thu 1 Jan New Year; Tue 6 Jan Epiphany (DE-BY, AT);
Sun 29 Mar and Sun 25 Oct DST changes; Fri 3 Apr Good Friday (NL, DE);
Mon 6 Apr Easter Monday; Mon 27 Apr Koningsdag (NL); Thu 14 May Ascension;
Mon 25 May Whit Monday; Tue 23 Jun National Day (LU).
"""

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leads.sla.businesstime import (
    WorkingCalendar,
    add_working_days,
    add_working_hours,
    clock_start,
    is_outside_working_hours,
    is_working_day,
    is_working_time,
    next_working_start,
    working_hours_between,
)

NL = WorkingCalendar.for_country("NL")
BE = WorkingCalendar.for_country("BE")
DE = WorkingCalendar.for_country("DE")
DE_BY = WorkingCalendar.for_country("DE", "BY")
AT = WorkingCalendar.for_country("AT")
CH = WorkingCalendar.for_country("CH")
LU = WorkingCalendar.for_country("LU")
XX = WorkingCalendar.for_country("XX")  # no holiday data: weekends only

H = timedelta(hours=1)
D = timedelta(days=1)


def at(cal: WorkingCalendar, text: str) -> datetime:
    """'Fri 2026-03-06 16:00' as an aware datetime in the calendar's zone."""
    weekday, rest = text.split(" ", 1)
    moment = datetime.fromisoformat(rest).replace(tzinfo=cal.tz)
    assert moment.strftime("%a") == weekday, f"{text!r} is a {moment:%a}"
    return moment


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def assert_same_moment(result: datetime, expected: datetime) -> None:
    """Same instant, same zone and same wall time (== alone compares wall time in one zone)."""
    assert result.astimezone(UTC) == expected.astimezone(UTC)
    assert result.tzinfo == expected.tzinfo
    assert result.replace(tzinfo=None) == expected.replace(tzinfo=None)


# --- The calendar ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "timezone"),
    [
        ("NL", "Europe/Amsterdam"),
        ("BE", "Europe/Brussels"),
        ("DE", "Europe/Berlin"),
        ("AT", "Europe/Vienna"),
        ("CH", "Europe/Zurich"),
        ("LU", "Europe/Luxembourg"),
        ("XX", "Europe/Amsterdam"),
        ("nl", "Europe/Amsterdam"),
    ],
)
def test_calendar_defaults_per_country(country, timezone):
    cal = WorkingCalendar.for_country(country)

    assert cal.country == country.upper()
    assert cal.timezone == timezone
    assert cal.tz == ZoneInfo(timezone)
    assert cal.workdays == frozenset({0, 1, 2, 3, 4})
    assert (cal.day_start, cal.day_end) == (time(8, 30), time(17, 30))
    assert cal.working_day_length == 9 * H


def test_calendar_overrides_and_is_a_hashable_value():
    cal = WorkingCalendar.for_country(
        "DE", "BY", timezone="Europe/Vienna", workdays={0, 1, 2, 3, 4, 5}, day_end=time(18, 0)
    )

    assert (cal.subdivision, cal.timezone, cal.day_end) == ("BY", "Europe/Vienna", time(18, 0))
    assert cal.workdays == frozenset(range(6))
    assert cal == WorkingCalendar(
        "DE", "BY", "Europe/Vienna", frozenset(range(6)), day_end=time(18)
    )
    assert len({cal, WorkingCalendar.for_country("DE", "BY", timezone="Europe/Vienna")}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        cal.country = "NL"


@pytest.mark.parametrize(
    "overrides",
    [
        {"workdays": frozenset()},
        {"workdays": frozenset({7})},
        {"day_start": time(17, 30), "day_end": time(8, 30)},
        {"day_start": time(9), "day_end": time(9)},
    ],
)
def test_calendar_rejects_impossible_settings(overrides):
    with pytest.raises(ValueError):
        WorkingCalendar.for_country("NL", **overrides)


@pytest.mark.parametrize(
    ("cal", "day", "working"),
    [
        (NL, date(2026, 3, 4), True),  # an ordinary Wednesday
        (NL, date(2026, 3, 7), False),  # Saturday
        (NL, date(2026, 3, 8), False),  # Sunday
        (NL, date(2026, 1, 1), False),  # New Year
        (NL, date(2026, 4, 27), False),  # Koningsdag
        (BE, date(2026, 4, 27), True),  # ... is Dutch only
        (DE, date(2026, 4, 6), False),  # Easter Monday
        (BE, date(2026, 5, 25), False),  # Whit Monday
        (DE, date(2026, 1, 6), True),  # Epiphany is not national in Germany
        (DE_BY, date(2026, 1, 6), False),  # ... but is in Bavaria
        (AT, date(2026, 1, 6), False),  # ... and in all of Austria
        (CH, date(2026, 5, 14), False),  # Ascension
        (LU, date(2026, 6, 23), False),  # National Day
        (XX, date(2026, 1, 1), True),  # no holiday data: only weekends off
        (XX, date(2026, 1, 3), False),
        (WorkingCalendar.for_country("DE", "NOPE"), date(2026, 4, 6), False),  # national fallback
        (WorkingCalendar.for_country("DE", "NOPE"), date(2026, 1, 6), True),
        (WorkingCalendar.for_country("NL", workdays={0, 1, 2, 3, 4, 5}), date(2026, 3, 7), True),
    ],
)
def test_is_working_day(cal, day, working):
    assert is_working_day(day, cal) is working


# --- Working time and where a clock starts ------------------------------------------


@pytest.mark.parametrize(
    ("cal", "moment", "working"),
    [
        (NL, "Wed 2026-03-04 08:29:59", False),
        (NL, "Wed 2026-03-04 08:30", True),  # the window is [08:30, 17:30)
        (NL, "Wed 2026-03-04 12:00", True),
        (NL, "Wed 2026-03-04 17:29:59", True),
        (NL, "Wed 2026-03-04 17:30", False),
        (NL, "Sat 2026-03-07 11:00", False),
        (NL, "Mon 2026-04-27 11:00", False),  # Koningsdag
        (BE, "Mon 2026-04-27 11:00", True),
    ],
)
def test_is_working_time(cal, moment, working):
    assert is_working_time(at(cal, moment), cal) is working
    assert is_outside_working_hours(at(cal, moment), cal) is not working


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        ("2026-03-04T07:30:00", True),  # 08:30 in Amsterdam (CET, +01:00)
        ("2026-03-04T07:29:00", False),
        ("2026-07-01T06:30:00", True),  # 08:30 in Amsterdam (CEST, +02:00)
        ("2026-07-01T15:30:00", False),  # 17:30 in Amsterdam
    ],
)
def test_is_working_time_reads_utc_input_in_local_time(moment, working):
    assert is_working_time(utc(moment), NL) is working


@pytest.mark.parametrize(
    ("cal", "moment", "expected"),
    [
        (NL, "Sat 2026-03-07 11:00", "Mon 2026-03-09 08:30"),  # weekend
        (NL, "Wed 2026-03-04 18:00", "Thu 2026-03-05 08:30"),  # after hours
        (NL, "Wed 2026-03-04 07:00", "Wed 2026-03-04 08:30"),  # before hours
        (NL, "Wed 2026-03-04 10:00", "Wed 2026-03-04 10:00"),  # inside: the moment itself
        (NL, "Wed 2026-03-04 08:30", "Wed 2026-03-04 08:30"),
        (NL, "Wed 2026-03-04 17:29", "Wed 2026-03-04 17:29"),
        (NL, "Wed 2026-03-04 17:30", "Thu 2026-03-05 08:30"),
        (NL, "Fri 2026-03-06 17:30", "Mon 2026-03-09 08:30"),
        (NL, "Wed 2026-03-04 00:00", "Wed 2026-03-04 08:30"),
        (NL, "Mon 2026-04-27 10:00", "Tue 2026-04-28 08:30"),  # Koningsdag
        (NL, "Fri 2026-04-24 18:00", "Tue 2026-04-28 08:30"),  # weekend + Koningsdag
        (DE, "Thu 2026-04-02 18:00", "Tue 2026-04-07 08:30"),  # Good Friday + Easter Monday
        (BE, "Thu 2026-04-02 18:00", "Fri 2026-04-03 08:30"),  # Good Friday works in BE
        (DE_BY, "Mon 2026-01-05 18:00", "Wed 2026-01-07 08:30"),  # Epiphany
        (DE, "Mon 2026-01-05 18:00", "Tue 2026-01-06 08:30"),
        (XX, "Wed 2025-12-31 18:00", "Thu 2026-01-01 08:30"),  # no New Year off without data
    ],
)
def test_clock_start(cal, moment, expected):
    assert_same_moment(clock_start(at(cal, moment), cal), at(cal, expected))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-04T09:00:00", "Wed 2026-03-04 10:00"),  # inside hours, returned in Amsterdam
        ("2026-03-08T23:00:00", "Mon 2026-03-09 08:30"),  # Sunday 23:00 UTC is Monday 00:00 local
        ("2026-03-04T16:30:00", "Thu 2026-03-05 08:30"),  # 17:30 local
    ],
)
def test_clock_start_from_utc(moment, expected):
    assert_same_moment(clock_start(utc(moment), NL), at(NL, expected))


@pytest.mark.parametrize(
    ("cal", "moment", "expected"),
    [
        (NL, "Wed 2026-03-04 07:00", "Wed 2026-03-04 08:30"),
        (NL, "Wed 2026-03-04 08:30", "Wed 2026-03-04 08:30"),
        (NL, "Wed 2026-03-04 10:00", "Thu 2026-03-05 08:30"),  # inside hours: the next day's start
        (NL, "Fri 2026-03-06 10:00", "Mon 2026-03-09 08:30"),
        (NL, "Fri 2026-03-06 22:00", "Mon 2026-03-09 08:30"),
        (NL, "Sun 2026-04-26 20:00", "Tue 2026-04-28 08:30"),  # Koningsdag
        (DE, "Thu 2026-04-02 20:00", "Tue 2026-04-07 08:30"),  # Easter
    ],
)
def test_next_working_start(cal, moment, expected):
    assert_same_moment(next_working_start(at(cal, moment), cal), at(cal, expected))


# --- Deadlines --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "start", "hours", "expected"),
    [
        (NL, "Fri 2026-03-06 16:00", 4, "Mon 2026-03-09 11:00"),  # the DESIGN.md example
        (NL, "Wed 2026-03-04 09:00", 4, "Wed 2026-03-04 13:00"),
        (NL, "Wed 2026-03-04 13:30", 4, "Wed 2026-03-04 17:30"),  # ends exactly at day end
        (NL, "Wed 2026-03-04 13:30", 4.5, "Thu 2026-03-05 09:00"),
        (NL, "Wed 2026-03-04 10:00", 0, "Wed 2026-03-04 10:00"),
        (NL, "Sat 2026-03-07 11:00", 0, "Mon 2026-03-09 08:30"),
        (NL, "Sat 2026-03-07 11:00", 4, "Mon 2026-03-09 12:30"),
        (NL, "Wed 2026-03-04 18:00", 0.25, "Thu 2026-03-05 08:45"),
        (NL, "Wed 2026-03-04 10:00", 9, "Thu 2026-03-05 10:00"),  # a full window
        (NL, "Mon 2026-03-02 08:30", 45, "Fri 2026-03-06 17:30"),  # a full week, ends at day end
        (NL, "Mon 2026-04-27 10:00", 4, "Tue 2026-04-28 12:30"),  # lead on Koningsdag
        (NL, "Fri 2026-04-24 16:00", 4, "Tue 2026-04-28 11:00"),  # weekend + Koningsdag
        (BE, "Mon 2026-04-27 10:00", 4, "Mon 2026-04-27 14:00"),  # not a holiday in BE
        (DE, "Thu 2026-04-02 16:00", 4, "Tue 2026-04-07 11:00"),  # Good Friday + Easter Monday
        (DE, "Mon 2026-04-06 10:00", 4, "Tue 2026-04-07 12:30"),  # lead on Easter Monday
        (BE, "Fri 2026-05-22 16:00", 4, "Tue 2026-05-26 11:00"),  # Whit Monday
        (DE_BY, "Mon 2026-01-05 16:00", 4, "Wed 2026-01-07 11:00"),  # Epiphany in Bavaria
        (DE, "Mon 2026-01-05 16:00", 4, "Tue 2026-01-06 11:00"),  # ... not in Germany
        (AT, "Mon 2026-01-05 16:00", 4, "Wed 2026-01-07 11:00"),
        (CH, "Wed 2026-05-13 16:00", 4, "Fri 2026-05-15 11:00"),  # Ascension
        (LU, "Mon 2026-06-22 16:00", 4, "Wed 2026-06-24 11:00"),  # National Day
        (XX, "Thu 2026-01-01 10:00", 4, "Thu 2026-01-01 14:00"),  # no holiday data
        (XX, "Fri 2026-01-02 16:00", 4, "Mon 2026-01-05 11:00"),  # weekends still off
        (NL, "Fri 2026-03-27 16:00", 4, "Mon 2026-03-30 11:00"),  # across DST (spring)
        (NL, "Fri 2026-10-23 16:00", 4, "Mon 2026-10-26 11:00"),  # across DST (autumn)
    ],
)
def test_add_working_hours(cal, start, hours, expected):
    assert_same_moment(add_working_hours(at(cal, start), hours, cal), at(cal, expected))


@pytest.mark.parametrize(
    ("cal", "start", "days", "expected"),
    [
        (NL, "Fri 2026-03-06 15:00", 2, "Tue 2026-03-10 15:00"),  # the DESIGN.md example
        (BE, "Fri 2026-04-03 15:00", 2, "Wed 2026-04-08 15:00"),  # ... with Easter Monday off
        (NL, "Sat 2026-03-07 11:00", 2, "Wed 2026-03-11 08:30"),  # ... starting on Saturday
        (NL, "Wed 2026-03-04 18:00", 1, "Fri 2026-03-06 08:30"),
        (NL, "Wed 2026-03-04 10:00", 0, "Wed 2026-03-04 10:00"),
        (NL, "Sun 2026-03-08 10:00", 0, "Mon 2026-03-09 08:30"),
        (NL, "Fri 2026-03-06 17:29", 1, "Mon 2026-03-09 17:29"),
        (NL, "Thu 2026-04-23 10:00", 5, "Fri 2026-05-01 10:00"),  # weekend + Koningsdag
        (DE, "Wed 2026-04-01 10:00", 5, "Fri 2026-04-10 10:00"),  # Good Friday + Easter Monday
        (DE, "Mon 2026-04-06 10:00", 2, "Thu 2026-04-09 08:30"),  # lead on Easter Monday
        (NL, "Fri 2026-03-06 10:00", 10, "Fri 2026-03-20 10:00"),
        (NL, "Wed 2025-12-24 10:00", 2, "Tue 2025-12-30 10:00"),  # Christmas
        (XX, "Wed 2025-12-24 10:00", 2, "Fri 2025-12-26 10:00"),  # no Christmas off
        (XX, "Wed 2025-12-31 10:00", 1, "Thu 2026-01-01 10:00"),  # New Year is a working day
    ],
)
def test_add_working_days(cal, start, days, expected):
    assert_same_moment(add_working_days(at(cal, start), days, cal), at(cal, expected))


def days(n):
    """A clock of ``n`` whole working days (the dealer's 2, the recycle's 5)."""
    return lambda start, cal: add_working_days(start, n, cal)


def hours(n):
    """A clock of ``n`` working hours (the hot lead's 4)."""
    return lambda start, cal: add_working_hours(start, n, cal)


@pytest.mark.parametrize(
    ("start", "clock", "expected", "offset"),
    [
        # Spring forward on Sun 29 Mar: wall time is kept, the offset changes.
        ("Fri 2026-03-27 15:00", days(2), "Tue 2026-03-31 15:00", 2 * H),
        ("Fri 2026-03-27 15:00", days(5), "Tue 2026-04-07 15:00", 2 * H),  # Good Fri, Easter Mon,
        ("Fri 2026-03-27 16:00", hours(4), "Mon 2026-03-30 11:00", 2 * H),
        ("Sat 2026-03-28 11:00", days(2), "Wed 2026-04-01 08:30", 2 * H),
        # Fall back on Sun 25 Oct.
        ("Fri 2026-10-23 15:00", days(2), "Tue 2026-10-27 15:00", 1 * H),
        ("Fri 2026-10-23 16:00", hours(4), "Mon 2026-10-26 11:00", 1 * H),
        ("Sat 2026-10-24 11:00", days(1), "Tue 2026-10-27 08:30", 1 * H),
    ],
)
def test_dst_keeps_local_wall_time(start, clock, expected, offset):
    result = clock(at(NL, start), NL)

    assert_same_moment(result, at(NL, expected))
    assert result.utcoffset() == offset


def test_dst_spring_forward_deadline_is_an_hour_less_of_real_time():
    start = at(NL, "Fri 2026-03-27 15:00")

    deadline = add_working_days(start, 2, NL)

    assert deadline.astimezone(UTC) == utc("2026-03-31T13:00:00")
    assert deadline - start == timedelta(days=4) and deadline.astimezone(UTC) - start == 95 * H


@pytest.mark.parametrize(
    ("start", "clock", "expected"),
    [
        ("2026-03-27T14:00:00", days(2), "Tue 2026-03-31 15:00"),  # Fri 15:00 CET
        ("2026-03-27T15:00:00", hours(4), "Mon 2026-03-30 11:00"),  # Fri 16:00 CET
        ("2026-03-07T10:00:00", days(2), "Wed 2026-03-11 08:30"),  # Saturday
        ("2026-10-23T13:00:00", days(2), "Tue 2026-10-27 15:00"),  # Fri 15:00 CEST
    ],
)
def test_utc_input_gives_local_result(start, clock, expected):
    result = clock(utc(start), NL)

    assert_same_moment(result, at(NL, expected))
    assert result.tzinfo == ZoneInfo("Europe/Amsterdam")


def test_a_calendar_with_saturdays_and_a_longer_day():
    cal = WorkingCalendar.for_country(
        "NL", workdays={0, 1, 2, 3, 4, 5}, day_start=time(8), day_end=time(20)
    )

    assert_same_moment(
        add_working_hours(at(cal, "Fri 2026-03-06 18:00"), 4, cal), at(cal, "Sat 2026-03-07 10:00")
    )
    assert_same_moment(
        add_working_days(at(cal, "Sat 2026-03-07 07:00"), 1, cal),
        at(cal, "Mon 2026-03-09 08:00"),  # the clock starts Sat 08:00; Sunday is off
    )


# --- Measuring --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "start", "end", "hours"),
    [
        (NL, "Wed 2026-03-04 10:00", "Wed 2026-03-04 12:15", 2.25),  # within one day
        (NL, "Wed 2026-03-04 07:00", "Wed 2026-03-04 09:00", 0.5),  # from before hours
        (NL, "Wed 2026-03-04 17:00", "Wed 2026-03-04 23:00", 0.5),  # into the evening
        (NL, "Wed 2026-03-04 18:00", "Thu 2026-03-05 08:00", 0.0),  # overnight
        (NL, "Wed 2026-03-04 12:00", "Wed 2026-03-04 12:00", 0.0),
        (NL, "Wed 2026-03-04 12:00", "Wed 2026-03-04 11:00", 0.0),  # end before start
        (NL, "Sat 2026-03-07 09:00", "Sun 2026-03-08 18:00", 0.0),  # weekend
        (NL, "Fri 2026-03-06 16:00", "Mon 2026-03-09 10:00", 3.0),  # across a weekend
        (NL, "Fri 2026-04-24 16:00", "Tue 2026-04-28 10:00", 3.0),  # weekend + Koningsdag
        (BE, "Fri 2026-04-24 16:00", "Tue 2026-04-28 10:00", 12.0),  # Koningsdag is Dutch
        (DE, "Thu 2026-04-02 09:00", "Tue 2026-04-07 09:00", 9.0),  # Good Friday + Easter Mon
        (DE_BY, "Mon 2026-01-05 09:00", "Wed 2026-01-07 09:00", 9.0),  # Epiphany in Bavaria
        (DE, "Mon 2026-01-05 09:00", "Wed 2026-01-07 09:00", 18.0),
        (XX, "Wed 2025-12-31 09:00", "Fri 2026-01-02 09:00", 18.0),  # no holiday data
        (NL, "Mon 2026-03-02 00:00", "Mon 2026-03-09 00:00", 45.0),  # a week
        (NL, "Fri 2026-03-27 16:00", "Mon 2026-03-30 10:00", 3.0),  # across DST
        (NL, "Thu 2026-01-01 00:00", "Fri 2027-01-01 00:00", 254 * 9.0),  # 2026: 254 working days
    ],
)
def test_working_hours_between(cal, start, end, hours):
    assert working_hours_between(at(cal, start), at(cal, end), cal) == pytest.approx(hours)


def test_working_hours_between_utc_moments():
    # Fri 16:00 CET -> Mon 10:00 CEST, given in UTC.
    hours = working_hours_between(utc("2026-03-27T15:00:00"), utc("2026-03-30T08:00:00"), NL)

    assert hours == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("cal", "start", "hours"),
    [
        (NL, "Fri 2026-03-06 16:00", 4),
        (NL, "Sat 2026-03-07 11:00", 7.75),
        (NL, "Fri 2026-04-24 12:00", 20),
        (DE, "Thu 2026-04-02 16:00", 13.5),
        (NL, "Fri 2026-03-27 16:00", 10),  # across DST
    ],
)
def test_working_hours_between_measures_what_add_working_hours_adds(cal, start, hours):
    begin = clock_start(at(cal, start), cal)

    deadline = add_working_hours(at(cal, start), hours, cal)

    assert working_hours_between(begin, deadline, cal) == pytest.approx(hours)


# --- Bad input --------------------------------------------------------------------

NAIVE = datetime(2026, 3, 4, 10, 0)
AWARE = at(NL, "Wed 2026-03-04 12:00")


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_working_time(NAIVE, NL),
        lambda: is_outside_working_hours(NAIVE, NL),
        lambda: clock_start(NAIVE, NL),
        lambda: next_working_start(NAIVE, NL),
        lambda: add_working_hours(NAIVE, 4, NL),
        lambda: add_working_days(NAIVE, 2, NL),
        lambda: working_hours_between(NAIVE, AWARE, NL),
        lambda: working_hours_between(AWARE, NAIVE, NL),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="naive datetime"):
        call()


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: add_working_hours(AWARE, -1, NL), ValueError),
        (lambda: add_working_days(AWARE, -1, NL), ValueError),
        (lambda: add_working_days(AWARE, 1.5, NL), TypeError),
    ],
)
def test_negative_or_fractional_arguments_are_refused(call, error):
    with pytest.raises(error):
        call()
