"""Figures for internal reps and account managers, per rep and per team: the selector on
stints made by the real intake, pipeline and SLA sweep, and the page the sales manager
(their team) and the channel manager (every team) read and export."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from leads import rep_scorecards as reps
from leads.models import Lead
from leads.services import pipeline
from leads.services.sla import sla_sweep
from portal.users.models import Role
from tests.factories import DealerMemberFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead
from tests.spreadsheets import downloaded_cells, live_cells

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
TUESDAY = datetime(2026, 11, 10, 9, 0, tzinfo=AMS)
LATER = datetime(2026, 11, 30, 12, 0, tzinfo=AMS)


def arrives(postcode: str, interest: str) -> Lead:
    """A lead made at ``TUESDAY`` 09:00 (a working day in the Netherlands)."""
    with time_machine.travel(TUESDAY, tick=False):
        return new_lead(postcode=postcode, interest=interest, estimated_value="20000")


def contact(lead: Lead, actor, at: datetime) -> None:
    """The owner's first update: they accept the lead with a call planned."""
    with time_machine.travel(at, tick=False):
        pipeline.lead_accept(
            lead=lead, actor=actor, next_step="Call", next_step_on=at.date() + timedelta(days=1)
        )


def close(lead: Lead, actor, status: str, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        pipeline.lead_set_status(
            lead=lead, actor=actor, status=status, won_value="15000", reason="no_budget"
        )


@pytest.fixture
def teams():
    """Two teams: Mark's (Eva, Lars) and Petra's (Sophie); Ruud has no manager.

    Eva (3000-3099): a hot lead contacted after 1 hour and won; a hot lead contacted
    two days late; a warm lead never contacted (both escalated by the sweep).
    Lars (3100-3199): a warm lead contacted in the morning, then lost.
    """
    mark = StaffFactory(role=Role.SALES_MANAGER, user__name="Mark de Boer").user
    petra = StaffFactory(role=Role.SALES_MANAGER, user__name="Petra Vogel").user
    eva = StaffFactory(user__name="Eva Visser", manager=mark, is_account_manager=True).user
    lars = StaffFactory(user__name="Lars Peeters", manager=mark, countries=["BE"]).user
    sophie = StaffFactory(role=Role.SENIOR_REP, user__name="Sophie Wagner", manager=petra).user
    ruud = StaffFactory(user__name="Ruud Zonder", countries=["DE"]).user
    channel = StaffFactory(role=Role.CHANNEL_MANAGER, user__name="Claudia Jansen").user
    territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(eva, 1)])
    territory_with(name="NL Maasstad", ranges=[(3100, 3199)], owners=[(lars, 1)])
    hot_won = arrives("3011 AB", "demo")
    hot_late = arrives("3012 AB", "price")
    warm_forgotten = arrives("3013 AB", "download")
    warm_lost = arrives("3111 AB", "webinar")
    assert {lead.owner_user_id for lead in (hot_won, hot_late, warm_forgotten)} == {eva.pk}
    assert warm_lost.owner_user_id == lars.pk
    assert (hot_won.temperature, warm_forgotten.temperature) == ("hot", "warm")
    contact(hot_won, eva, TUESDAY + timedelta(hours=1))
    contact(warm_lost, lars, TUESDAY + timedelta(hours=2))
    with time_machine.travel(TUESDAY + timedelta(days=1, hours=6), tick=False):
        sla_sweep()  # hot_late (4 h) and warm_forgotten (1 working day) escalate
    contact(hot_late, eva, TUESDAY + timedelta(days=2))
    close(hot_won, eva, "won", TUESDAY + timedelta(days=3))
    close(warm_lost, lars, "lost", TUESDAY + timedelta(days=3))
    return {
        "mark": mark,
        "petra": petra,
        "eva": eva,
        "lars": lars,
        "sophie": sophie,
        "ruud": ruud,
        "channel": channel,
    }


def cards_at(now, **scope):
    profiles = list(reps.internal_owners(**scope))
    start = now - timedelta(days=90)
    return profiles, reps.rep_scorecards(profiles, start=start, end=now, now=now)


def test_a_reps_figures_count_hot_and_warm_leads_against_their_own_deadlines(teams):
    _profiles, cards = cards_at(LATER)
    by_name = {card.name: card.figures for card in cards}
    eva = by_name["Eva Visser"]
    assert (eva.received, eva.measured, eva.in_sla) == (3, 3, 1)
    assert (eva.hot_measured, eva.hot_in_sla, eva.hot_rate) == (2, 1, 0.5)
    assert (eva.warm_measured, eva.warm_in_sla, eva.warm_rate) == (1, 0, 0.0)
    assert eva.escalated == 2
    assert (eva.won, eva.lost, eva.conversion, eva.won_value) == (1, 0, 1.0, Decimal("15000"))
    assert eva.open_stints == 2
    assert eva.pipeline_value == Decimal("40000")
    # Working hours from the stint's start to its first update: 1 h and 2 working days.
    assert eva.median_first_update_hours == pytest.approx((1 + 18) / 2, abs=0.01)
    lars = by_name["Lars Peeters"]
    assert (lars.received, lars.warm_measured, lars.warm_in_sla, lars.escalated) == (1, 1, 1, 0)
    assert (lars.lost, lars.conversion, lars.median_first_update_hours) == (1, 0.0, 2.0)
    # Reps and managers without stints are listed with zeros; channel managers are not.
    assert by_name["Sophie Wagner"] == reps.Figures()
    assert "Claudia Jansen" not in by_name


def test_a_lead_is_measured_only_once_its_deadline_has_passed(teams):
    # One hour after the leads arrived only the hot lead contacted in time counts.
    _profiles, cards = cards_at(TUESDAY + timedelta(hours=1, minutes=30))
    eva = {card.name: card.figures for card in cards}["Eva Visser"]
    assert (eva.received, eva.measured, eva.in_sla) == (3, 0, 0)


def test_teams_sum_their_members_and_have_their_own_median(teams):
    profiles, cards = cards_at(LATER)
    team_cards = reps.team_scorecards(
        profiles, cards, start=LATER - timedelta(days=90), end=LATER, no_team_name="No manager"
    )
    assert [t.manager_name for t in team_cards] == ["Mark de Boer", "Petra Vogel", "No manager"]
    mark = team_cards[0]
    # A manager belongs to the team they lead.
    assert sorted(m.name for m in mark.members) == ["Eva Visser", "Lars Peeters", "Mark de Boer"]
    assert (mark.figures.received, mark.figures.escalated, mark.figures.won) == (4, 2, 1)
    assert (mark.figures.in_sla, mark.figures.measured) == (2, 4)
    assert mark.figures.median_first_update_hours == pytest.approx(2.0)  # of 1, 2 and 18 h
    no_team = team_cards[-1]
    assert [m.name for m in no_team.members] == ["Ruud Zonder"]


def test_the_figures_cost_the_same_queries_for_more_reps(teams):
    with CaptureQueriesContext(connection) as few:
        profiles, cards = cards_at(LATER)
        reps.team_scorecards(profiles, cards, start=LATER, end=LATER, no_team_name="-")
    for n in range(5):
        rep = StaffFactory(manager=teams["petra"]).user
        territory_with(name=f"Extra {n}", ranges=[(4000 + n, 4000 + n)], owners=[(rep, 1)])
    with CaptureQueriesContext(connection) as many:
        profiles, cards = cards_at(LATER)
        reps.team_scorecards(profiles, cards, start=LATER, end=LATER, no_team_name="-")
    assert len(many) == len(few) <= 4


# --- the page ------------------------------------------------------------------------


URL = reverse("manage:rep_scorecards")


def test_the_page_is_for_sales_and_channel_managers_only(client, teams):
    assert "/login/" in client.get(URL)["Location"]
    dealer_user = DealerMemberFactory().user
    for who in (dealer_user, teams["eva"], teams["sophie"]):
        client.force_login(who)
        assert client.get(URL).status_code == 403
    for who in (teams["mark"], teams["channel"]):
        client.force_login(who)
        assert client.get(URL).status_code == 200
    assert client.post(URL).status_code == 405


def test_a_sales_manager_sees_their_own_team_only(client, teams):
    client.force_login(teams["mark"])
    with time_machine.travel(LATER, tick=False):
        response = client.get(URL)
    rows = {row.name: row for row in response.context["rep_table"].data}
    assert set(rows) == {"Eva Visser", "Lars Peeters", "Mark de Boer"}
    html = response.content.decode()
    assert "Your team&#x27;s scorecards" in html or "Your team's scorecards" in html
    assert "Sophie Wagner" not in html and "Ruud Zonder" not in html
    client.force_login(teams["petra"])
    with time_machine.travel(LATER, tick=False):
        rows = client.get(URL).context["rep_table"].data
    assert [row.name for row in rows] == ["Petra Vogel", "Sophie Wagner"]


def test_a_sales_manager_without_reports_is_told_how_a_team_is_made(client):
    client.force_login(StaffFactory(role=Role.SALES_MANAGER).user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Nobody reports to you yet" in response.content.decode()


def test_the_channel_manager_sees_every_team_and_filters_one(client, teams):
    client.force_login(teams["channel"])
    with time_machine.travel(LATER, tick=False):
        response = client.get(URL)
        html = response.content.decode()
        assert [row.name for row in response.context["team_table"].data] == [
            "Mark de Boer",
            "Petra Vogel",
            "No manager",
        ]
        assert 'id="team-table"' in html and 'id="rep-table"' in html
        total = response.context["total"]
        assert (total.received, total.hot_measured, total.hot_in_sla, total.escalated) == (
            4,
            2,
            1,
            2,
        )
        only_mark = client.get(URL, {"team": teams["mark"].pk})
        names = {row.name for row in only_mark.context["rep_table"].data}
        assert names == {"Eva Visser", "Lars Peeters", "Mark de Boer"}
        bad = client.get(URL, {"team": "x", "period": "7"})
    assert bad.status_code == 200
    assert bad.context["form"].errors.keys() == {"team", "period"}


def test_a_country_limited_channel_manager_sees_the_reps_of_their_countries(client, teams):
    belgian = StaffFactory(role=Role.CHANNEL_MANAGER, countries=["BE"]).user
    client.force_login(belgian)
    rows = client.get(URL).context["rep_table"].data
    # Lars covers Belgium; Ruud covers Germany only; the others cover every country.
    names = {row.name for row in rows}
    assert "Lars Peeters" in names and "Eva Visser" in names
    assert "Ruud Zonder" not in names


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_rep_and_team_figures_export(client, teams, fmt):
    client.force_login(teams["channel"])
    with time_machine.travel(LATER, tick=False):
        rep_file = client.get(URL, {"_export": fmt, "period": "30"})
        team_file = client.get(URL, {"_export": fmt, "of": "teams"})
    assert "rep-scorecards-30d-2026-11-30" in rep_file["Content-Disposition"]
    header, *rows = downloaded_cells(rep_file)
    for column in ("Rep", "Hot in SLA", "Warm in SLA", "Escalated", "Team", "Hot leads measured"):
        assert column in header
    eva = next(dict(zip(header, row, strict=True)) for row in rows if row[0] == "Eva Visser")
    assert float(eva["Hot in SLA"]) == 50.0
    assert int(eva["Escalated"]) == 2
    assert eva["Team"] == "Mark de Boer"
    header, *rows = downloaded_cells(team_file)
    assert header[0] == "Team"
    assert [row[0] for row in rows] == ["Mark de Boer", "Petra Vogel", "No manager"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_name_that_reads_like_a_formula_is_exported_as_text(client, teams, fmt):
    eva = teams["eva"]
    eva.name = '=HYPERLINK("http://evil.example","Eva")'
    eva.save(update_fields=["name"])
    teams["mark"].name = "@SUM(1+1)"
    teams["mark"].save(update_fields=["name"])
    client.force_login(teams["channel"])
    with time_machine.travel(LATER, tick=False):
        for of in ("reps", "teams"):
            rows = downloaded_cells(client.get(URL, {"_export": fmt, "of": of}))
            assert not live_cells(rows)
            assert "'@SUM(1+1)" in [cell for row in rows for cell in row]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Scorecards van verkopers", "Warm binnen SLA"]),
        ("de", ["Scorecards im Vertrieb", "Warm im SLA"]),
    ],
)
def test_the_page_speaks_dutch_and_german(client, teams, language, words):
    channel = teams["channel"]
    channel.language = language
    channel.save(update_fields=["language"])
    client.force_login(channel)
    with translation.override("en"), time_machine.travel(LATER, tick=False):
        html = client.get(URL).content.decode()
    for word in words:
        assert word in html
    assert "50 %" in html.replace("\xa0", " ")  # Eva's hot leads, the number as they write it


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_sales_managers_export_holds_their_own_team_only(client, teams, fmt):
    """Mark exports his reps; asking for Petra's team in the query changes nothing."""
    client.force_login(teams["mark"])
    with time_machine.travel(LATER, tick=False):
        rep_file = client.get(URL, {"_export": fmt})
        other_team = client.get(URL, {"_export": fmt, "team": teams["petra"].pk})
        team_file = client.get(URL, {"_export": fmt, "of": "teams"})
    for response in (rep_file, other_team):
        header, *rows = downloaded_cells(response)
        assert sorted(row[0] for row in rows) == ["Eva Visser", "Lars Peeters", "Mark de Boer"]
        team = header.index("Team")
        assert {row[team] for row in rows} == {"Mark de Boer"}
    header, *rows = downloaded_cells(team_file)
    assert [row[0] for row in rows] == ["Mark de Boer"]
    everything = "".join(str(cell) for row in rows for cell in row)
    assert "Petra" not in everything and "Sophie" not in everything


# --- the channel dashboard's card --------------------------------------------------------


DASHBOARD = reverse("manage:dashboard")


def test_the_dashboard_shows_the_rep_scorecards_team_figures(client, teams):
    """The card's figures are the rep scorecards page's team rows (the same
    computation, ``rep_scorecards.teams_overview``), and it links there."""
    client.force_login(teams["channel"])
    with time_machine.travel(LATER, tick=False):
        response = client.get(DASHBOARD)
        page = client.get(URL, {"period": "90"})
    rows = response.context["rep_teams"]
    assert [row["team"].manager_name for row in rows] == ["Mark de Boer", "Petra Vogel", ""]
    on_page = {row.name: row.figures for row in page.context["team_table"].data}
    assert rows[0]["team"].figures == on_page["Mark de Boer"]
    assert rows[1]["team"].figures == on_page["Petra Vogel"]
    mark = rows[0]["team"].figures
    # Eva: one hot lead of two in time, the warm one forgotten; Lars's warm one in time.
    assert (mark.hot_warm_rate, mark.escalated, mark.conversion) == (0.5, 2, 0.5)
    assert rows[0]["hot_warm"] == 50.0 and rows[0]["conversion"] == 50.0
    html = response.content.decode()
    assert 'id="rep-teams-card"' in html and 'id="rep-team-list"' in html
    assert f'href="{URL}?period=90"' in html
    assert f'href="{URL}?period=90&amp;team={teams["mark"].pk}"' in html
    assert "No manager" in html


def test_a_sales_managers_dashboard_card_shows_their_own_team(client, teams):
    client.force_login(teams["mark"])
    with time_machine.travel(LATER, tick=False):
        response = client.get(DASHBOARD, {"period": "30d"})
    rows = response.context["rep_teams"]
    assert [row["team"].manager_name for row in rows] == ["Mark de Boer"]
    assert {m.name for m in rows[0]["team"].members} == {
        "Eva Visser",
        "Lars Peeters",
        "Mark de Boer",
    }
    html = response.content.decode()
    assert "Petra Vogel" not in html and "Sophie Wagner" not in html
    assert f'href="{URL}?period=30"' in html
    assert "&amp;team=" not in html  # one team: nothing to choose on the page


def test_the_dashboard_card_says_when_there_is_no_rep(client):
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)  # owns no leads
    html = client.get(DASHBOARD).content.decode()
    assert "No internal rep or account manager yet." in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Interne verkoopteams",
                "Heet + warm binnen SLA",
                "afgelopen 90 dagen",
                "Scorecards van verkopers",
            ],
        ),
        (
            "de",
            [
                "Interne Vertriebsteams",
                "Heiß + warm im SLA",
                "letzten 90 Tagen",
                "Scorecards im Vertrieb",
            ],
        ),
    ],
)
def test_the_dashboard_card_speaks_dutch_and_german(client, teams, language, words):
    channel = teams["channel"]
    channel.language = language
    channel.save(update_fields=["language"])
    client.force_login(channel)
    with translation.override("en"), time_machine.travel(LATER, tick=False):
        html = client.get(DASHBOARD).content.decode()
    for word in words:
        assert word in html
