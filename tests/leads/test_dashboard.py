"""The channel dashboard: its figures (DESIGN.md "What is measured") computed in the
database by period, country and routing rule, the trend, the distribution over dealers,
the funnel and the pool; and the page (roles, query count, the pool's assign action)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.dashboard import figures
from leads.models import Lead, Queue
from leads.services import pipeline
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from leads.services.sla import sla_sweep
from portal.users.models import Role
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)  # 48 h → Wednesday 10:00
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=AMS)  # a Thursday


def lead_at(name: str, when: datetime, *, postcode="3011", country="NL", **fields) -> Lead:
    data = clean_lead_fields(
        {
            "company_name": name,
            "country": country,
            "postcode": postcode,
            "contact_email": f"info@{name.split()[0].lower()}.example",
            **fields,
        }
    )
    return lead_intake(data=data, source="api", now=when).lead


def accept(lead, person, when):
    pipeline.lead_accept(
        lead=lead,
        actor=person,
        next_step="Call",
        next_step_on=when.date() + timedelta(days=1),
        now=when,
    )


@pytest.fixture
def history():
    """Alpha (Rotterdam) wins one, loses one late, forgets one; Beta (Schiedam) rejects
    one; one lead is not sales-ready. The forgotten and rejected leads end in the pool."""
    alpha, beta = DealerFactory(name="Alpha Techniek"), DealerFactory(name="Beta Machines")
    territory_with(name="A", ranges=[(3000, 3099)], owners=[(alpha, 1)])
    territory_with(name="B", ranges=[(3100, 3199)], owners=[(beta, 1)])
    a_user = DealerMemberFactory(dealer=alpha).user
    b_user = DealerMemberFactory(dealer=beta).user

    won = lead_at("Won Co", MONDAY, estimated_value="20000")
    accept(won, a_user, MONDAY + timedelta(hours=1))
    pipeline.lead_set_status(
        lead=won, actor=a_user, status="won", won_value="25000", now=MONDAY + timedelta(days=3)
    )
    lost = lead_at("Lost Co", MONDAY)
    accept(lost, a_user, MONDAY + timedelta(days=2, hours=2))  # after its 48 h
    pipeline.lead_set_status(
        lead=lost, actor=a_user, status="lost", reason="no_budget", now=MONDAY + timedelta(days=4)
    )
    forgotten = lead_at("Forgotten Co", MONDAY)
    rejected = lead_at("Rejected Co", MONDAY, postcode="3111")
    pipeline.lead_reject(
        lead=rejected, actor=b_user, reason="not_a_lead", now=MONDAY + timedelta(hours=2)
    )
    nurture = lead_at("Later Co", MONDAY, qualification={"purchase_6m": False})
    sla_sweep(now=MONDAY + timedelta(days=8))
    return {
        "alpha": alpha,
        "beta": beta,
        "leads": [won, lost, forgotten, rejected, nurture],
        "forgotten": forgotten,
        "rejected": rejected,
    }


def test_the_headline_figures(history):
    scope = figures.Scope.for_period("30d", now=NOW)
    total = figures.overview(scope).total
    assert total.leads_in == 5
    assert total.stints == 4  # queue stints (pool, nurture) are nobody's work
    assert (total.measured, total.in_sla) == (4, 2)
    assert total.follow_up_rate == 0.5
    assert (total.dealer_measured, total.recycled) == (4, 1)
    assert total.forgotten_rate == 0.25
    assert (total.won, total.lost, total.conversion) == (1, 1, 0.5)
    assert total.median_hours == pytest.approx(
        sorted(
            [1.0, 2.0, 20.0]  # won 1 h, rejected 2 h, the late one 2 days + 2 h → 20 h
        )[1],
        abs=0.01,
    )


def test_figures_by_routing_rule(history):
    scope = figures.Scope.for_period("30d", now=NOW)
    rows = dict(figures.overview(scope).by_rule)
    # The lead's current rule: the forgotten and the rejected one were routed again.
    assert {rule: f.leads_in for rule, f in rows.items()} == {
        "nurture": 1,
        "territory": 2,
        "fallback": 2,
    }
    assert rows["territory"].stints == 4
    assert rows["fallback"].stints == 0  # the pool's stints are left out
    assert rows["nurture"].follow_up_rate is None


def test_filters_by_country_and_rule(history):
    lead_at("Berliner Werk GmbH", MONDAY, country="DE", postcode="10115")
    de = figures.overview(figures.Scope.for_period("30d", now=NOW, country="DE")).total
    assert de.leads_in == 1
    nl_only = figures.Scope.for_period("30d", now=NOW, countries=frozenset({"NL"}))
    assert figures.overview(nl_only).total.leads_in == 5
    territory = figures.overview(figures.Scope.for_period("30d", now=NOW, rule="territory"))
    assert (territory.total.leads_in, territory.total.stints) == (2, 4)


def test_a_period_before_the_leads_is_empty(history):
    later = figures.Scope.for_period("30d", now=NOW + timedelta(days=60))
    total = figures.overview(later).total
    assert (total.leads_in, total.stints, total.follow_up_rate, total.median_hours) == (
        0,
        0,
        None,
        None,
    )
    assert all(count == 0 for _stage, count in figures.overview(later).funnel)


def test_the_trend_has_a_point_per_week_or_month(history):
    weekly = figures.overview(figures.Scope.for_period("30d", now=NOW)).trend
    assert [p.start.isoformat() for p in weekly] == [
        "2026-02-16",
        "2026-02-23",
        "2026-03-02",
        "2026-03-09",
    ]
    assert [p.leads_in for p in weekly] == [0, 0, 5, 0]
    assert weekly[2].figures.stints == 4 and weekly[2].figures.recycled == 1
    monthly = figures.overview(figures.Scope.for_period("180d", now=NOW)).trend
    assert [p.start.isoformat()[:7] for p in monthly] == [
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert sum(p.leads_in for p in monthly) == 5


def test_the_distribution_over_dealers(history):
    shares = figures.overview(figures.Scope.for_period("30d", now=NOW)).dealers
    assert [(s.name, s.received, s.won) for s in shares] == [
        ("Alpha Techniek", 3, 1),
        ("Beta Machines", 1, 0),
    ]
    assert shares[0].follow_up_rate == pytest.approx(1 / 3)


def test_the_funnel_counts_the_furthest_stage_each_lead_reached(history):
    funnel = figures.overview(figures.Scope.for_period("30d", now=NOW)).funnel
    assert funnel == [
        ("new", 4),  # the nurture lead is left out
        ("accepted", 2),  # the lost one got as far as accepted
        ("contacted", 1),
        ("meeting", 1),
        ("proposal", 1),
        ("won", 1),
    ]


def test_the_pool_summary(history):
    pool = figures.pool_summary(limit=1)
    assert pool.count == 2
    assert [lead.pk for lead in pool.oldest] == [history["forgotten"].pk]
    assert figures.pool_summary(limit=5).count == 2


def test_the_dashboard_selectors_cost_the_same_queries_for_more_leads(history):
    scope = figures.Scope.for_period("90d", now=NOW)

    def run():
        with CaptureQueriesContext(connection) as queries:
            figures.overview(scope)
            figures.pool_summary()
        return len(queries)

    few = run()
    for i in range(5):
        lead_at(f"Extra{i} Co", MONDAY + timedelta(days=1), postcode="3111")
    assert run() == few <= 8


# --- the page ----------------------------------------------------------------------------


def test_the_dashboard_is_for_managers_only(client, history):
    url = reverse("manage:dashboard")
    assert "/login/" in client.get(url)["Location"]
    dealer_user = history["alpha"].memberships.first().user
    for user in (dealer_user, StaffFactory(role=Role.INTERNAL_SALES).user):
        client.force_login(user)
        assert client.get(url).status_code == 403
    for role in (Role.SALES_MANAGER, Role.CHANNEL_MANAGER):
        client.force_login(StaffFactory(role=role).user)
        assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


@time_machine.travel(NOW)
def test_the_dashboard_page_shows_figures_charts_and_the_pool(client, history):
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(manager)
    url = reverse("manage:dashboard")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url, {"period": "365d"})
    assert response.status_code == 200
    assert response.context["total"].leads_in == 5
    assert response.context["pool"].count == 2
    body = response.content.decode()
    for part in ('id="dashboard-data"', 'id="trend-chart"', 'id="funnel-chart"', 'id="rule-table"'):
        assert part in body
    assert "Forgotten Co" in body and "Rejected Co" in body  # waiting in the pool
    assert 'src="/static/js/dashboard.js"' in body and "<script>" not in body
    for i in range(4):
        lead_at(f"More{i} Co", MONDAY, postcode="3050")
    cache.clear()  # the figures are kept for a minute
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"period": "365d"})
    assert len(few) == len(many) <= 25
    assert client.get(url, {"period": "bogus", "rule": "nope"}).status_code == 200


def test_leads_in_the_pool_are_assigned_from_the_dashboard(client, history):
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(manager)
    url = reverse("manage:dashboard")
    forgotten = history["forgotten"]
    response = client.post(
        reverse("manage:reassign_bulk"),
        {
            "lead": [forgotten.pk],
            "owner": f"dealer:{history['beta'].pk}",
            "reason": "Beta has room",
            "next": url,
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    forgotten.refresh_from_db()
    assert forgotten.owner_dealer == history["beta"]
    assert Lead.objects.filter(owner_queue_id=Queue.POOL).count() == 1


@time_machine.travel(NOW)
def test_the_figures_are_kept_for_a_minute(client, history):
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    url = reverse("manage:dashboard")
    first = client.get(url, {"period": "365d"})
    assert first.context["total"].leads_in == 5
    lead_at("Another Co", MONDAY, postcode="3050")
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, {"period": "365d"})
    assert again.context["total"].leads_in == 5
    assert not any("leads_assignment" in q["sql"] for q in queries.captured_queries)
    other_filter = client.get(url, {"period": "365d", "country": "NL"})
    assert other_filter.context["total"].leads_in == 6
