"""The simulated people: how fast each dealer follows up, how often it wins, and
when people act (office hours on their country's working days)."""

import functools
import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time

from dealers.models import Dealer
from leads.sla import businesstime


@dataclass(frozen=True)
class Behaviour:
    """How an owner acts in the simulation."""

    median_hours: float  # typical office hours from receiving a lead to its first update
    spread: float  # how much that varies from lead to lead (sigma of a log-normal)
    ignore: float  # share of leads never touched (recycled after 5 working days)
    conversion: float  # won / (won + lost)
    reject: float


FASTEST_MEDIAN, SLOWEST_MEDIAN = 0.8, 40.0  # office hours to a first update


def behaviours(dealers: list[Dealer]) -> dict[int, Behaviour]:
    """Stable per-dealer performance, spread as in a real channel.

    The dealers' typical time to a first update runs from within the hour to about
    four working days (evenly on a log scale, in a shuffled order, so no two dealers
    share it); the slower a dealer, the more leads it ignores and the fewer it wins,
    with some luck either way (seed 002: "Dealer A: 90% picked up within 48 h,
    conversion 25%; Dealer B: 40%, 8%").
    """
    ordered = sorted(dealers, key=lambda d: random.Random(f"rank-{d.slug}").random())
    result = {}
    for rank, dealer in enumerate(ordered):
        rng = random.Random(f"behaviour-{dealer.slug}")
        slowness = (rank + rng.uniform(0.2, 0.8)) / len(ordered)  # 0 fastest, 1 slowest
        result[dealer.pk] = Behaviour(
            median_hours=FASTEST_MEDIAN * (SLOWEST_MEDIAN / FASTEST_MEDIAN) ** slowness,
            spread=rng.uniform(0.5, 0.9),
            ignore=0.02 + 0.22 * slowness * rng.uniform(0.6, 1.4),
            conversion=max(0.05, 0.30 - 0.2 * slowness + rng.uniform(-0.04, 0.04)),
            reject=rng.uniform(0.03, 0.14),
        )
    return result


REP_BEHAVIOUR = Behaviour(median_hours=3.0, spread=0.8, ignore=0.0, conversion=0.3, reject=0.04)

# People act in office hours: 08:00-18:00 local time on their country's working days
# (the SLA clocks run 08:30-17:30 by default, ``Policy.workday_start/end``), more in the
# morning and mid-afternoon than at lunch or just before closing. Leads themselves
# arrive at any time: web forms at night are real.
OFFICE_START, OFFICE_END = dt_time(8), dt_time(18)
OFFICE_HOURS = list(range(OFFICE_START.hour, OFFICE_END.hour))
OFFICE_HOUR_WEIGHTS = list(itertools.accumulate([4, 9, 10, 10, 6, 8, 10, 9, 7, 3]))


@functools.cache
def office(country: str) -> businesstime.WorkingCalendar:
    """When a person in ``country`` acts: its working days (no weekends, no public
    holidays), 08:00-18:00 local time."""
    return businesstime.WorkingCalendar.for_country(
        country, day_start=OFFICE_START, day_end=OFFICE_END
    )


def office_moment(
    day: date, cal: businesstime.WorkingCalendar, rng: random.Random, *, forward: bool = True
) -> datetime:
    """A time people work on ``day``, or on the nearest working day after it (before it
    when not ``forward``)."""
    step = timedelta(days=1 if forward else -1)
    while not businesstime.is_working_day(day, cal):
        day += step
    hour = rng.choices(OFFICE_HOURS, cum_weights=OFFICE_HOUR_WEIGHTS)[0]
    seconds = rng.randrange(3600)
    wall = dt_time(hour, seconds // 60, seconds % 60)
    return datetime.combine(day, wall, tzinfo=cal.tz)


def office_day_after(moment: datetime, days: float, cal, rng: random.Random) -> datetime:
    """An office moment on the working day ``days`` (at least 1) after ``moment``, or the
    first working day after that: always later than ``moment``."""
    return office_moment((moment + timedelta(days=days)).astimezone(cal.tz).date(), cal, rng)


def office_hours_after(start: datetime, hours: float, cal) -> datetime:
    """``hours`` of office time after ``start`` (a lead that arrives at night waits for
    the morning): always inside office hours."""
    moment = businesstime.add_working_hours(start, hours, cal)
    if moment.time() == cal.day_end:  # used up a day exactly: the window is [start, end)
        moment -= timedelta(minutes=1)
    return moment
