"""Scorecards count ownership stints (DESIGN.md "Scorecard measures"), the monthly trend,
and the performance weight."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealers import scorecards, services
from dealers.scorecards import Scorecard, performance_weight
from leads.models import Lead
from leads.services import pipeline
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from leads.services.sla import sla_sweep
from tests.dealers.conftest import company
from tests.factories import DealerFactory, DealerMemberFactory, territory_with

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)  # 48 h → Wednesday 10:00
NOW = datetime(2026, 4, 1, 10, 0, tzinfo=AMS)


def new_lead(name: str, *, now: datetime, postcode: str = "3011", value=None) -> Lead:
    data = clean_lead_fields(
        {
            "company_name": name,
            "country": "NL",
            "postcode": postcode,
            "contact_email": f"info@{name.split()[0].lower()}.example",
            "estimated_value": value,
        }
    )
    return lead_intake(data=data, source="api", now=now).lead


def accept(lead: Lead, person, now: datetime) -> None:
    pipeline.lead_accept(
        lead=lead,
        actor=person,
        next_step="Call to plan a demo",
        next_step_on=now.date() + timedelta(days=1),
        now=now,
    )


@pytest.fixture
def history(db):
    """Dealer A lives through six leads; dealer B (another territory) through one."""
    a, b = DealerFactory(name="Alpha Techniek"), DealerFactory(name="Beta Machines")
    territory_with(name="A", ranges=[(3000, 3299)], owners=[(a, 1)])
    territory_with(name="B", ranges=[(3300, 3399)], owners=[(b, 1)])
    person = DealerMemberFactory(dealer=a).user
    other = DealerMemberFactory(dealer=b).user

    won = new_lead("Won Co", now=MONDAY)
    accept(won, person, MONDAY.replace(hour=12))
    pipeline.lead_set_status(
        lead=won, actor=person, status="won", won_value="10000", now=MONDAY + timedelta(days=9)
    )
    late = new_lead("Late Co", now=MONDAY)  # first update after its 48 h: 19 working hours
    accept(late, person, MONDAY + timedelta(days=2, hours=1))
    pipeline.lead_set_status(
        lead=late, actor=person, status="lost", reason="no_budget", now=MONDAY + timedelta(days=9)
    )
    rejected = new_lead("Rejected Co", now=MONDAY)
    pipeline.lead_reject(
        lead=rejected, actor=person, reason="not_a_lead", now=MONDAY.replace(hour=13)
    )
    new_lead("Forgotten Co", now=MONDAY)  # nobody acts: recycled after 5 working days
    sla_sweep(now=MONDAY + timedelta(days=8))
    new_lead("Fresh Co", now=NOW - timedelta(hours=1), value="5000")  # its 48 h still run
    older = new_lead("Older Co", now=MONDAY - timedelta(days=20), value="7000")
    accept(older, person, MONDAY - timedelta(days=20))
    b_lead = new_lead("Bee Co", now=MONDAY, postcode="3311")
    accept(b_lead, other, MONDAY.replace(hour=11))
    admin = DealerMemberFactory(dealer=a, role="dealer_admin").user
    services.claim_submit(dealer=a, submitted_by=admin, data=company("Claimed B.V."), now=NOW)
    expired = services.claim_submit(
        dealer=a, submitted_by=admin, data=company("Old Claim B.V."), now=NOW - timedelta(days=100)
    )
    assert expired.expires_at < NOW
    return a, b


@pytest.mark.django_db
def test_a_dealers_scorecard_counts_its_stints(history):
    a, b = history
    start = MONDAY - timedelta(days=1)

    card, other = scorecards.dealer_scorecards(start=start, end=NOW, now=NOW)

    assert (card.dealer_id, card.dealer_name) == (a.pk, "Alpha Techniek")
    assert card.received == 5  # "Older Co" started before the window
    assert card.measured == 4  # "Fresh Co" is still within its 48 h
    assert card.followed_up_in_sla == 2  # won (2 h) and rejected (3 h); late and forgotten not
    assert card.follow_up_rate == 0.5
    assert card.median_first_update_hours == pytest.approx(3.0)
    assert (card.recycled, card.rejected, card.won, card.lost) == (1, 1, 1, 1)
    assert card.forgotten_rate == 0.25
    assert card.conversion == 0.5
    assert card.win_rate == 0.2
    assert card.won_value == Decimal("10000")
    assert card.open_stints == 2  # "Fresh Co" and "Older Co"
    assert card.pipeline_value == Decimal("12000")
    assert card.claims == 1  # the expired one does not count
    assert card.settled == 4

    assert (other.dealer_id, other.received, other.measured, other.followed_up_in_sla) == (
        b.pk,
        1,
        1,
        1,
    )
    assert other.median_first_update_hours == pytest.approx(1.0)


@pytest.mark.django_db
def test_scorecards_filter_dealers_and_include_those_without_stints(history):
    a, b = history
    quiet = DealerFactory(name="Quiet Dealer", countries=["DE"], sectors=["food"])

    only = scorecards.dealer_scorecards(start=MONDAY, end=NOW, now=NOW, dealer_ids=[quiet.pk, b.pk])
    assert [c.dealer_name for c in only] == ["Beta Machines", "Quiet Dealer"]
    assert only[1] == Scorecard(
        dealer_id=quiet.pk, dealer_name="Quiet Dealer", start=MONDAY, end=NOW
    )
    assert only[1].follow_up_rate is None and only[1].conversion is None

    assert [
        c.dealer_id
        for c in scorecards.dealer_scorecards(start=MONDAY, end=NOW, now=NOW, country="DE")
    ] == [quiet.pk]
    assert [
        c.dealer_id
        for c in scorecards.dealer_scorecards(start=MONDAY, end=NOW, now=NOW, sector="food")
    ] == [quiet.pk]
    assert scorecards.dealer_scorecards(start=MONDAY, end=NOW, now=NOW, dealer_ids=[]) == []


@pytest.mark.django_db
def test_all_dealers_cost_the_same_few_queries_as_one(history):
    a, b = history
    with CaptureQueriesContext(connection) as one:
        scorecards.dealer_scorecards(start=MONDAY, end=NOW, now=NOW, dealer_ids=[a.pk])
    for n in range(5):
        DealerFactory(name=f"Extra {n}")
    with CaptureQueriesContext(connection) as all_of_them:
        cards = scorecards.dealer_scorecards(start=MONDAY, end=NOW, now=NOW)
    assert len(cards) == 7
    expected = 2 if connection.vendor == "postgresql" else 3
    assert len(one) == len(all_of_them) == expected


@pytest.mark.django_db
def test_the_trend_has_one_point_per_calendar_month(history):
    a, _b = history

    trend = scorecards.dealer_trend(dealer_id=a.pk, months=3, now=NOW)

    assert [p.month for p in trend] == [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    february, march, april = trend
    assert (february.received, february.followed_up_in_sla) == (1, 1)  # "Older Co"
    assert (march.received, march.measured, march.followed_up_in_sla) == (4, 4, 2)
    assert (march.won, march.lost, march.conversion) == (1, 1, 0.5)
    assert march.follow_up_rate == 0.5
    assert (april.received, april.measured, april.follow_up_rate) == (1, 0, None)


@pytest.mark.django_db
def test_the_trend_of_a_dealer_without_stints_is_zeros():
    dealer = DealerFactory()
    trend = scorecards.dealer_trend(dealer_id=dealer.pk, months=6, now=NOW)
    assert [p.month for p in trend][0] == date(2025, 11, 1)
    assert all(p.received == 0 and p.conversion is None for p in trend)


def card(**figures) -> Scorecard:
    return Scorecard(dealer_id=1, dealer_name="X", start=MONDAY, end=NOW, **figures)


@pytest.mark.parametrize(
    ("figures", "weight"),
    [
        # fewer than 10 closed or expired stints: neutral
        ({"measured": 9, "followed_up_in_sla": 9, "won": 5, "lost": 4}, "1.00"),
        # (0.5 + 0.5) × (0.5 + 0.20 / 0.20) = 1.5
        ({"measured": 20, "followed_up_in_sla": 10, "won": 2, "lost": 8}, "1.50"),
        # (0.5 + 0.35) × (0.5 + 0.04 / 0.20) = 0.595
        ({"measured": 20, "followed_up_in_sla": 7, "won": 1, "lost": 24}, "0.60"),
        # excellent dealers are capped at 2.0
        ({"measured": 20, "followed_up_in_sla": 18, "won": 5, "lost": 15}, "2.00"),
        # nothing followed up, nothing won: the floor of 0.25
        ({"measured": 12, "recycled": 12}, "0.25"),
    ],
)
def test_performance_weight(figures, weight):
    assert performance_weight(card(**figures)) == Decimal(weight)
