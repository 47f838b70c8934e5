"""The channel manager's performance pages: dealer scorecards (table, export, one dealer),
allocation (weights, preview, apply, overrides), fairness and the claim review queue.
Every page gets the role matrix (anonymous, dealer, internal sales, sales manager,
channel manager, a channel manager of other countries), the wrong method, and a constant
number of queries however many rows it lists."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dealers import services
from dealers.models import Claim, Dealer, WeightChange
from dealers.performance.forms import expected_json
from leads.models import ShareCounter
from leads.services import pipeline
from portal.users.models import Notification, Role
from tests.dealers.conftest import company
from tests.factories import (
    AccountFactory,
    DealerFactory,
    DealerMemberFactory,
    InstalledProductFactory,
    StaffFactory,
    territory_with,
)
from tests.leads.pipeline_world import new_lead
from tests.spreadsheets import downloaded_cells, live_cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    alpha = DealerFactory(name="Alpha Techniek B.V.", countries=["NL"], sectors=["food"])
    beta = DealerFactory(name="Beta Machines B.V.", countries=["NL"])
    german = DealerFactory(name="Gamma Maschinen GmbH", countries=["DE"])
    territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1), (beta, 1)])
    territory_with(name="DE Berlin", country="DE", ranges=[(10000, 14999)], owners=[(german, 1)])
    dutch_manager = StaffFactory(role=Role.CHANNEL_MANAGER, countries=["NL"]).user
    return {
        "alpha": alpha,
        "beta": beta,
        "german": german,
        "alpha_user": DealerMemberFactory(dealer=alpha).user,
        "beta_admin": DealerMemberFactory(dealer=beta, role=Role.DEALER_ADMIN).user,
        "manager": StaffFactory(role=Role.CHANNEL_MANAGER).user,
        "dutch_manager": dutch_manager,
        "sales_manager": StaffFactory(role=Role.SALES_MANAGER).user,
        "internal_sales": StaffFactory(role=Role.INTERNAL_SALES).user,
    }


def get(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


READ_PAGES = ["manage:scorecards", "manage:fairness"]
CHANNEL_PAGES = ["manage:allocation", "manage:claims"]


@pytest.mark.parametrize("name", READ_PAGES + CHANNEL_PAGES)
def test_staff_pages_are_for_their_roles_only(client, people, name):
    url = reverse(name)
    assert "/login/" in get(client, None, url)["Location"]
    for who in ("alpha_user", "beta_admin", "internal_sales"):
        assert get(client, people[who], url).status_code == 403, who
    expected = 200 if name in READ_PAGES else 403
    assert get(client, people["sales_manager"], url).status_code == expected
    assert get(client, people["manager"], url).status_code == 200
    assert client.post(url).status_code == 405


@pytest.mark.parametrize(
    ("name", "channel_only"),
    [("manage:scorecard_detail", False), ("manage:allocation_dealer", True)],
)
def test_dealer_pages_404_outside_the_managers_countries(client, people, name, channel_only):
    alpha_url = reverse(name, args=[people["alpha"].pk])
    german_url = reverse(name, args=[people["german"].pk])
    assert get(client, people["alpha_user"], alpha_url).status_code == 403
    assert get(client, people["sales_manager"], alpha_url).status_code == (
        403 if channel_only else 200
    )
    assert get(client, people["manager"], german_url).status_code == 200
    assert get(client, people["dutch_manager"], alpha_url).status_code == 200
    assert get(client, people["dutch_manager"], german_url).status_code == 404
    assert get(client, people["manager"], reverse(name, args=[99999])).status_code == 404


@pytest.mark.parametrize(
    "name", ["manage:allocation_apply", "manage:allocation_override_end", "manage:claim_decide"]
)
def test_writing_endpoints_take_only_post_from_channel_managers(client, people, name):
    args = [] if name == "manage:allocation_apply" else [people["alpha"].pk]
    url = reverse(name, args=args)
    assert get(client, people["manager"], url).status_code == 405
    client.force_login(people["sales_manager"])
    assert client.post(url).status_code == 403
    client.force_login(people["alpha_user"])
    assert client.post(url).status_code == 403


# --- scorecards --------------------------------------------------------------------------


def lived(dealer_user, n: int, *, postcode="3011 AB"):
    """n leads for the dealer of ``dealer_user`` (alone in its territory), accepted."""
    made = []
    for _ in range(n):
        lead = new_lead(postcode=postcode)
        if lead.owner_dealer_id == dealer_user.dealer_membership.dealer_id:
            pipeline.lead_accept(
                lead=lead,
                actor=dealer_user,
                next_step="Call",
                next_step_on=timezone.localdate() + timedelta(days=1),
            )
        made.append(lead)
    return made


def test_the_scorecard_table_lists_every_dealer_with_its_figures(client, people):
    lived(people["alpha_user"], 4)
    response = get(client, people["manager"], reverse("manage:scorecards"))
    assert response.status_code == 200
    rows = {row.dealer.name: row for row in response.context["rows"]}
    assert set(rows) == {"Alpha Techniek B.V.", "Beta Machines B.V.", "Gamma Maschinen GmbH"}
    assert rows["Alpha Techniek B.V."].card.received == 2
    assert rows["Beta Machines B.V."].card.received == 2
    assert rows["Gamma Maschinen GmbH"].card.received == 0
    assert response.context["totals"]["received"] == 4
    body = response.content.decode()
    assert 'id="scorecard-table"' in body and "Alpha Techniek B.V." in body


def test_the_table_filters_by_country_and_sector_and_sorts(client, people):
    client.force_login(people["manager"])
    url = reverse("manage:scorecards")
    names = lambda response: [row.dealer.name for row in response.context["table"].rows.data]  # noqa: E731
    assert names(client.get(url, {"country": "DE"})) == ["Gamma Maschinen GmbH"]
    assert names(client.get(url, {"sector": "food"})) == ["Alpha Techniek B.V."]
    for column in ("follow_up", "-median", "conversion", "-weight", "pipeline"):
        response = client.get(url, {"sort": column, "period": "30"})
        assert response.status_code == 200, column
    bad = client.get(url, {"period": "7", "country": "XX", "sector": "space"})
    assert bad.status_code == 200
    assert len(bad.context["rows"]) == 3  # a bad filter is ignored, not a 500


def test_a_country_limited_manager_sees_only_their_dealers(client, people):
    response = get(client, people["dutch_manager"], reverse("manage:scorecards"))
    assert {row.dealer.name for row in response.context["rows"]} == {
        "Alpha Techniek B.V.",
        "Beta Machines B.V.",
    }
    assert b"Gamma Maschinen" not in response.content


def test_the_scorecards_export_to_csv_and_xlsx(client, people):
    lived(people["alpha_user"], 2)
    client.force_login(people["manager"])
    response = client.get(reverse("manage:scorecards"), {"_export": "csv", "country": "NL"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("Dealer,Received,In SLA,1st update,Recycled")
    assert any(line.startswith("Alpha Techniek B.V.,1,") for line in lines)
    assert len(lines) == 3
    xlsx = client.get(reverse("manage:scorecards"), {"_export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx.content[:2] == b"PK"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_scorecards_export_shows_a_formula_in_a_dealer_name_as_text(client, people, fmt):
    evil = DealerFactory(name='=HYPERLINK("http://evil.example","x")', countries=["NL"])
    territory_with(name="NL Evil", ranges=[(3500, 3599)], owners=[(evil, 1)])
    new_lead(postcode="3511 AB")
    client.force_login(people["manager"])
    response = client.get(reverse("manage:scorecards"), {"_export": fmt, "country": "NL"})
    rows = downloaded_cells(response)
    row = next(row for row in rows if "evil.example" in str(row[0]))
    assert row[0] == "'" + evil.name
    assert not live_cells(rows)
    if fmt == "xlsx":
        assert row[rows[0].index("Received")] == 1  # numbers stay numbers


def test_the_scorecard_table_costs_the_same_queries_for_many_dealers(client, people):
    client.force_login(people["manager"])
    url = reverse("manage:scorecards")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(6):
        dealer = DealerFactory(name=f"Extra {i} B.V.")
        territory_with(name=f"NL Extra {i}", ranges=[(4000 + i, 4000 + i)], owners=[(dealer, 1)])
    lived(people["alpha_user"], 3)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 9
    assert len(few) == len(many) <= 12


def test_a_dealers_page_shows_its_trend_weight_and_leads(client, people):
    leads = lived(people["alpha_user"], 4)
    alpha = people["alpha"]
    url = reverse("manage:scorecard_detail", args=[alpha.pk])
    client.force_login(people["manager"])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["card"].received == 2
    assert len(response.context["trend"]) == 6
    shown = {stint.lead_id for stint in response.context["page"]}
    assert shown == {lead.pk for lead in leads if lead.owner_dealer_id == alpha.pk}
    body = response.content.decode()
    assert 'id="trend-data"' in body and "Alpha Techniek B.V." in body
    assert "Beta Machines" not in body
    open_only = client.get(url, {"show": "won"})
    assert list(open_only.context["page"]) == []
    lived(people["alpha_user"], 6)
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(queries) == len(more) <= 30


# --- allocation --------------------------------------------------------------------------


def test_the_allocation_page_shows_stored_and_computed_weights(client, people):
    Dealer.objects.filter(pk=people["beta"].pk).update(performance_weight=Decimal("1.50"))
    response = get(client, people["manager"], reverse("manage:allocation"))
    weights = {w.dealer.name: w for w in response.context["weights"]}
    assert weights["Beta Machines B.V."].current == Decimal("1.50")
    assert weights["Beta Machines B.V."].computed == Decimal("1.00")
    assert [w.dealer.name for w in response.context["changing"]] == ["Beta Machines B.V."]
    assert response.context["preview"] is None
    assert b"apply-form" not in response.content  # applying comes after a preview
    assert b"How a weight is computed" in response.content


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "no data yet"), ("nl", "nog geen gegevens"), ("de", "noch keine Daten")],
)
def test_the_allocation_page_says_follow_up_has_no_data_yet(client, people, language, text):
    """Leads rejected on a Friday evening are measured only after their first-update
    deadline (Wednesday morning): until then the weight stays and the page says why."""
    alpha, beta = people["alpha"], people["beta"]
    Dealer.objects.filter(pk=alpha.pk).update(performance_weight=Decimal("1.40"))
    by_dealer = {alpha.pk: people["alpha_user"], beta.pk: people["beta_admin"]}
    friday_evening = datetime(2026, 12, 4, 20, 20, tzinfo=ZoneInfo("Europe/Amsterdam"))
    with time_machine.travel(friday_evening, tick=False):
        for _ in range(10):  # each lead is rejected by both dealers in turn
            lead = new_lead(postcode="3011 AB")
            while lead.owner_dealer_id in by_dealer:
                pipeline.lead_reject(
                    lead=lead, actor=by_dealer[lead.owner_dealer_id], reason="not_a_lead"
                )
                lead.refresh_from_db()
    manager = people["manager"]
    manager.language = language
    manager.save(update_fields=["language"])
    with (
        time_machine.travel(friday_evening + timedelta(days=3), tick=False),
        translation.override("en"),  # the page switches to the user's language
    ):
        response = get(client, manager, reverse("manage:allocation"))
        detail = client.get(reverse("manage:allocation_dealer", args=[alpha.pk]))
    weights = {w.dealer.name: w for w in response.context["weights"]}
    alpha_weight = weights["Alpha Techniek B.V."]
    assert alpha_weight.inputs.awaiting_follow_up and alpha_weight.inputs.settled == 10
    assert (alpha_weight.computed, alpha_weight.changes) == (Decimal("1.40"), False)
    row = response.content.decode().split(f'data-dealer="{alpha.pk}"')[1].split("</tr>")[0]
    assert text in row and "0.25" not in row
    assert text in detail.content.decode()


def test_a_manager_previews_then_applies_the_computed_weights(client, people):
    beta = people["beta"]
    Dealer.objects.filter(pk=beta.pk).update(performance_weight=Decimal("0.50"))
    for _ in range(4):
        new_lead(postcode="3011 AB")
    client.force_login(people["manager"])
    counters = list(ShareCounter.objects.values_list("scope", "owner", "count").order_by("pk"))
    response = client.get(reverse("manage:allocation"), {"preview": "1", "leads": "50"})
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.leads == 4
    assert {o.owner.name: (o.before, o.after) for o in preview.changed_owners} == {
        "Alpha Techniek B.V.": (3, 2),
        "Beta Machines B.V.": (1, 2),
    }
    assert b'id="apply-form"' in response.content and b'id="whatif-data"' in response.content
    assert list(ShareCounter.objects.values_list("scope", "owner", "count").order_by("pk")) == (
        counters
    )
    assert not WeightChange.objects.exists()

    expected = response.context["apply_form"].initial["expected"]
    response = client.post(reverse("manage:allocation_apply"), {"expected": expected})
    assert response.status_code == 302 and response["Location"] == reverse("manage:allocation")
    beta.refresh_from_db()
    assert beta.performance_weight == Decimal("1.00")
    change = WeightChange.objects.get()
    assert (change.dealer, change.kind, change.actor) == (
        beta,
        WeightChange.Kind.PERFORMANCE,
        people["manager"],
    )
    page = client.get(reverse("manage:allocation"))
    assert "The new weight of 1 dealer applies to the next lead." in page.content.decode()


def test_applying_a_stale_preview_writes_nothing(client, people):
    beta = people["beta"]
    Dealer.objects.filter(pk=beta.pk).update(performance_weight=Decimal("0.50"))
    client.force_login(people["manager"])
    stale = expected_json({beta.pk: Decimal("0.80")})
    response = client.post(reverse("manage:allocation_apply"), {"expected": stale}, follow=True)
    assert "The scorecards changed since the preview" in response.content.decode()
    assert response.context["preview"] is not None  # back to a fresh preview
    beta.refresh_from_db()
    assert beta.performance_weight == Decimal("0.50")
    assert not WeightChange.objects.exists()
    garbage = client.post(reverse("manage:allocation_apply"), {"expected": "{not json"})
    assert garbage.status_code == 302
    assert not WeightChange.objects.exists()


def test_an_override_can_be_previewed_saved_and_ended(client, people):
    alpha = people["alpha"]
    for _ in range(4):
        new_lead(postcode="3011 AB")
    url = reverse("manage:allocation_dealer", args=[alpha.pk])
    until = (timezone.localdate() + timedelta(days=20)).isoformat()
    client.force_login(people["manager"])
    preview = client.get(
        url, {"preview": "1", "weight": "0", "until": until, "reason": "Moving", "leads": "20"}
    )
    assert preview.status_code == 200
    assert {o.owner.name: (o.before, o.after) for o in preview.context["preview"].owners} == {
        "Alpha Techniek B.V.": (2, 0),
        "Beta Machines B.V.": (2, 4),
    }
    alpha.refresh_from_db()
    assert alpha.weight_override is None

    bad = client.post(url, {"weight": "12", "until": "2001-01-01", "reason": ""})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"weight", "reason"}
    past = client.post(url, {"weight": "1.5", "until": "2001-01-01", "reason": "Trial"})
    assert past.status_code == 400
    assert "The end date cannot be in the past." in past.content.decode()
    assert not WeightChange.objects.exists()

    saved = client.post(url, {"weight": "1.5", "until": until, "reason": "Trial"})
    assert saved.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.weight_override, alpha.weight_override_reason) == (Decimal("1.50"), "Trial")
    assert WeightChange.objects.get().kind == WeightChange.Kind.OVERRIDE
    page = client.get(url)
    assert page.context["form"].initial["reason"] == "Trial"

    ended = client.post(reverse("manage:allocation_override_end", args=[alpha.pk]))
    assert ended.status_code == 302
    alpha.refresh_from_db()
    assert alpha.weight_override is None
    again = client.post(reverse("manage:allocation_override_end", args=[alpha.pk]), follow=True)
    assert "This dealer has no override to end." in again.content.decode()


def test_the_allocation_page_costs_the_same_queries_for_many_dealers(client, people):
    client.force_login(people["manager"])
    url = reverse("manage:allocation")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(5):
        DealerFactory(name=f"Extra {i} B.V.")
    WeightChange.objects.create(
        dealer=people["alpha"], kind="performance", old_weight=1, new_weight=2
    )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many) <= 20


# --- fairness ----------------------------------------------------------------------------


def test_the_fairness_page_shows_actual_against_target_shares(client, people):
    for _ in range(6):
        new_lead(postcode="3011 AB")
    response = get(client, people["sales_manager"], reverse("manage:fairness"))
    (scope,) = response.context["report"]
    assert {(row.owner.name, row.count, row.target) for row in scope.rows} == {
        ("Alpha Techniek B.V.", 3, 0.5),
        ("Beta Machines B.V.", 3, 0.5),
    }
    body = response.content.decode()
    assert "NL Rijnmond" in body and "deviation 0.00 %" in body
    assert get(client, people["manager"], reverse("manage:fairness")).context["within_goal"] == 1
    german_only = StaffFactory(role=Role.CHANNEL_MANAGER, countries=["DE"]).user
    assert get(client, german_only, reverse("manage:fairness")).context["report"] == []


def test_a_sector_territory_is_one_scope_on_the_fairness_page(client, people):
    """A territory reserved for a sector shares its leads in the sector's scope only; it
    was also listed as a territory scope with 0 leads."""
    territory = territory_with(
        name="NL Automotive specialists",
        ranges=[(5000, 5999)],
        sectors=["automotive"],
        owners=[(people["alpha"], 1), (people["beta"], 1)],
    )
    response = get(client, people["manager"], reverse("manage:fairness"))
    scopes = [s.scope for s in response.context["report"] if s.territory.id == territory.pk]
    assert scopes == [f"sector:{territory.pk}:automotive"]
    assert response.content.decode().count("NL Automotive specialists") == 1


def test_after_the_weights_change_the_page_says_there_are_not_enough_leads_yet(client, people):
    """Applying weights restarts every count: 'Within 1 %: 0' in green read as a failure."""
    for _ in range(4):
        new_lead(postcode="3011 AB")
    ShareCounter.objects.all().delete()  # what applying the computed weights does
    response = get(client, people["manager"], reverse("manage:fairness"))
    body = response.content.decode()
    assert "not enough leads since the change" in body
    summary = body.split('id="fairness-summary"')[1].split('<div class="card mb-3"')[0]
    assert "text-success" not in summary


def test_the_fairness_page_explains_a_deviation_in_words(client, people):
    alpha, beta = people["alpha"], people["beta"]
    scope = f"territory:{alpha.territory_ownerships.get().territory_id}"
    ShareCounter.objects.bulk_create(
        [
            ShareCounter(scope=scope, owner=f"dealer:{alpha.pk}", count=99),
            ShareCounter(scope=scope, owner=f"dealer:{beta.pk}", count=59),
        ]
    )
    body = get(client, people["manager"], reverse("manage:fairness")).content.decode()
    assert "deviation 25.32 %" in body
    # the owner furthest from its target, in words
    assert (
        "Alpha Techniek B.V. received 99 of the 158 leads; its weight gives it 79.0. "
        "That is 20.0 more, 25.32 % above its target share." in body
    )


# --- claim review ------------------------------------------------------------------------


@pytest.fixture
def conflict(people):
    """Beta holds an approved claim on Havenbedrijf; Alpha claims it too (pending)."""
    held = services.claim_submit(
        dealer=people["beta"], submitted_by=people["beta_admin"], data=company()
    )
    assert held.status == Claim.Status.APPROVED
    pending = services.claim_submit(
        dealer=people["alpha"], submitted_by=people["alpha_user"], data=company()
    )
    assert pending.status == Claim.Status.PENDING
    return held, pending


def test_the_review_shows_both_sides_of_a_conflict(client, people, conflict):
    held, pending = conflict
    customer = AccountFactory(legal_name="Bestaande Klant B.V.")
    InstalledProductFactory(account=customer, product="Machine A")
    services.claim_submit(
        dealer=people["alpha"],
        submitted_by=people["alpha_user"],
        data=company("Bestaande Klant B.V."),
    )
    response = get(client, people["manager"], reverse("manage:claims"))
    assert response.status_code == 200
    claims = {claim.company_name: claim for claim in response.context["claims"]}
    assert set(claims) == {"Havenbedrijf Techniek B.V.", "Bestaande Klant B.V."}
    (side,) = claims["Havenbedrijf Techniek B.V."].sides
    assert side["kind"] == "claim" and side["claim"] == held
    (customer_side,) = claims["Bestaande Klant B.V."].sides
    assert customer_side["account"] == customer
    body = response.content.decode()
    assert "Beta Machines B.V." in body and "Machine A" in body
    assert response.context["counts"] == {"conflicts": 2, "clean": 0, "decided": 0}


def test_the_review_shows_the_other_dealers_claim_in_full(client, people):
    """Both sides in full to staff: the other dealer's claim with everything the claim
    under review shows, not only its dealer's name and dates."""
    details = {
        "contact_name": "Henk Haven",
        "contact_email": "henk@havenbedrijf.example",
        "website": "havenbedrijf.example",
        "expected_value": "125000",
        "notes": "Demo at their Botlek site planned for January.",
    }
    held = services.claim_submit(
        dealer=people["beta"], submitted_by=people["beta_admin"], data=company(**details)
    )
    services.claim_submit(dealer=people["alpha"], submitted_by=people["alpha_user"], data=company())
    body = get(client, people["manager"], reverse("manage:claims")).content.decode()
    other = body.split("conflict-claim")[1].split("decision-form")[0]
    for shown in (
        "Beta Machines B.V.",
        people["beta_admin"].name,
        "Henk Haven",
        "henk@havenbedrijf.example",
        "havenbedrijf.example",
        "125,000",
        "Demo at their Botlek site planned for January.",
        reverse("dealers:claim", args=[held.pk]),
    ):
        assert shown in other, shown


def test_the_review_queue_costs_the_same_queries_for_more_claims(client, people, conflict):
    client.force_login(people["manager"])
    url = reverse("manage:claims")

    def customer_claim(i):
        customer = AccountFactory(legal_name=f"Klant {i} B.V.", account_manager=people["manager"])
        InstalledProductFactory(account=customer)
        services.claim_submit(
            dealer=people["beta"],
            submitted_by=people["beta_admin"],
            data=company(f"Klant {i} B.V."),
        )

    def claim_conflict(i):
        data = company(f"Prospect {i} B.V.", contact_name=f"Contact {i}", notes="Busy.")
        services.claim_submit(dealer=people["beta"], submitted_by=people["beta_admin"], data=data)
        other = DealerFactory(name=f"Third {i} B.V.", countries=["NL"])
        services.claim_submit(
            dealer=other, submitted_by=DealerMemberFactory(dealer=other).user, data=data
        )

    customer_claim(0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(1, 4):
        customer_claim(i)
        claim_conflict(i)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["claims"]) == 8
    assert len(few) == len(many) <= 16


def test_rejecting_needs_a_reason_and_tells_both_dealers(client, people, conflict):
    held, pending = conflict
    client.force_login(people["manager"])
    url = reverse("manage:claim_decide", args=[pending.pk])
    response = client.post(url, {"decision": "reject", "reason": ""}, follow=True)
    assert "choose approve or reject and give a reason" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Claim.Status.PENDING
    Notification.objects.all().delete()

    response = client.post(url, {"decision": "reject", "reason": "Beta has worked it for months"})
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:claims") + "?show=conflicts"
    pending.refresh_from_db()
    assert (pending.status, pending.decision_reason, pending.decided_by) == (
        Claim.Status.REJECTED,
        "Beta has worked it for months",
        people["manager"],
    )
    told = set(Notification.objects.values_list("recipient__email", flat=True))
    assert told == {people["alpha_user"].email, people["beta_admin"].email}


def test_approving_over_a_held_claim_fails_until_it_is_revoked(client, people, conflict):
    held, pending = conflict
    client.force_login(people["manager"])
    approve = reverse("manage:claim_decide", args=[pending.pk])
    response = client.post(
        approve, {"decision": "approve", "reason": "Alpha won the tender"}, follow=True
    )
    assert "Another dealer holds an active claim" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Claim.Status.PENDING

    revoke = reverse("manage:claim_decide", args=[held.pk])
    client.post(revoke, {"decision": "reject", "reason": "Alpha won the tender", "tab": "clean"})
    Notification.objects.all().delete()
    response = client.post(approve, {"decision": "approve", "reason": "Alpha won the tender"})
    assert response.status_code == 302
    held.refresh_from_db()
    pending.refresh_from_db()
    assert (held.status, pending.status) == (Claim.Status.REJECTED, Claim.Status.APPROVED)
    told = set(Notification.objects.values_list("recipient__email", flat=True))
    assert people["alpha_user"].email in told and people["beta_admin"].email in told
    decided = client.get(reverse("manage:claims"), {"show": "decided"})
    assert {c.pk for c in decided.context["claims"]} == {held.pk, pending.pk}


def test_claims_of_other_countries_are_404(client, people):
    german_claim = services.claim_submit(
        dealer=people["german"],
        submitted_by=DealerMemberFactory(dealer=people["german"]).user,
        data={"company_name": "Berliner Werk GmbH", "country": "DE", "postcode": "10115"},
    )
    client.force_login(people["dutch_manager"])
    url = reverse("manage:claim_decide", args=[german_claim.pk])
    assert client.post(url, {"decision": "reject", "reason": "No"}).status_code == 404
    german_claim.refresh_from_db()
    assert german_claim.status == Claim.Status.APPROVED
    listed = client.get(reverse("manage:claims"), {"show": "clean"})
    assert german_claim not in listed.context["claims"]


def test_the_fairness_page_costs_the_same_queries_for_more_scopes(client, people):
    client.force_login(people["manager"])
    url = reverse("manage:fairness")
    new_lead(postcode="3011 AB")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(3):
        one, two = DealerFactory(name=f"One {i} B.V."), DealerFactory(name=f"Two {i} B.V.")
        territory_with(
            name=f"NL Shared {i}", ranges=[(4000 + i, 4000 + i)], owners=[(one, 1), (two, 2)]
        )
        new_lead(postcode=f"{4000 + i} AB")
    client.get(url)  # the routing world changed: its cache is rebuilt once
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["report"]) == 4
    assert len(few) == len(many) <= 10
