"""The staff pages of the leads app: the pool, reassigning (one and many), out of
office, the rejection report; and the role matrix over every page under /manage/."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone

from dealers.models import Dealer
from leads import world as world_cache
from leads.models import Lead, LeadEvent, Queue
from leads.services import pipeline
from leads.services.reassign import leads_reassign
from portal.messages import render_message
from portal.users.models import Notification, Role
from tests.factories import DealerFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import make_world
from tests.spreadsheets import downloaded_cells, live_cells
from tests.test_url_walk import walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def manager(client):
    user = StaffFactory(role=Role.CHANNEL_MANAGER, user__name="Claudia Jansen").user
    client.force_login(user)
    return user


def pool_lead(world, **fields):
    lead = world.lead(postcode="9711 AB", **fields)  # no territory, no team: the pool
    assert lead.owner_queue_id == Queue.POOL
    return lead


# --- the pool ------------------------------------------------------------------------


def test_the_pool_lists_its_leads_with_a_constant_query_count(client, world, manager):
    first = pool_lead(world)
    world.lead()  # owned by a dealer: not in the pool
    url = reverse("manage:pool")
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert [lead.pk for lead in response.context["page"]] == [first.pk]
    for _n in range(5):
        pool_lead(world)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"]) == 6
    assert len(many) == len(few)


def test_assigning_pool_leads_to_a_dealer_in_one_go(client, world, manager):
    leads = [pool_lead(world) for _ in range(3)]
    response = client.post(
        reverse("manage:reassign_bulk"),
        {
            "lead": [leads[0].pk, leads[1].pk],
            "owner": f"dealer:{world.dealer.pk}",
            "reason": "Groningen is theirs now",
            "next": reverse("manage:pool"),
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("manage:pool")
    assert b"2 leads reassigned." in response.content
    owners = dict(Lead.objects.values_list("pk", "owner_dealer"))
    assert (owners[leads[0].pk], owners[leads[1].pk], owners[leads[2].pk]) == (
        world.dealer.pk,
        world.dealer.pk,
        None,
    )
    event = leads[0].events.get(kind=LeadEvent.Kind.REASSIGNED)
    assert event.actor == manager and event.data["note"] == {"text": "Groningen is theirs now"}
    assert Notification.objects.filter(recipient=world.admin, lead=leads[0]).exists()


def test_route_again_lets_the_rules_decide_after_a_territory_fix(client, world, manager):
    lead = pool_lead(world)
    territory_with(name="NL Groningen", ranges=[(9700, 9799)], owners=[(world.other_dealer, 1)])
    client.post(
        reverse("manage:reassign_bulk"),
        {"lead": [lead.pk], "owner": "route", "reason": "Territory added"},
    )
    lead.refresh_from_db()
    assert lead.owner_dealer == world.other_dealer
    assert lead.routing_rule == "territory"
    assert lead.events.filter(kind=LeadEvent.Kind.REASSIGNED, actor=manager).count() == 1


def test_route_again_takes_an_accepted_lead_away_from_its_dealer(client, world, manager):
    """Asked to route a dealer's lead again, the rules pass over the current dealer: the
    lead must not come back to it with its progress reset to "new"."""
    lead = world.lead()  # Rijnmond, the only dealer of its territory
    pipeline.lead_accept(
        lead=lead, actor=world.user, next_step="Call", next_step_on=timezone.localdate()
    )
    moved = leads_reassign(
        lead_ids=[lead.pk], owner=None, actor=manager, reason="Dealer overloaded"
    )
    assert moved == 1
    lead.refresh_from_db()
    assert lead.owner_dealer_id != world.dealer.pk
    event = lead.events.get(kind=LeadEvent.Kind.REASSIGNED)
    assert event.from_owner["id"] == world.dealer.pk
    [passed] = [c for c in lead.routing_candidates if c["owner"]["id"] == world.dealer.pk]
    assert render_message(passed["note"]) == (
        "Rijnmond Techniek had this lead until a manager moved it"
    )
    # passed over for this decision only: a later lead of the territory still goes there
    assert world.lead().owner_dealer == world.dealer


def test_a_batch_with_a_closed_lead_moves_nothing(client, world, manager):
    lost, still_open = world.lead(), world.lead()
    pipeline.lead_accept(
        lead=lost, actor=world.user, next_step="Call", next_step_on=timezone.localdate()
    )
    pipeline.lead_set_status(lead=lost, actor=world.user, status="lost", reason="no_budget")
    response = client.post(
        reverse("manage:reassign_bulk"),
        {"lead": [lost.pk, still_open.pk], "owner": "queue:pool", "reason": "Tidy up"},
        follow=True,
    )
    assert b"closed or gone" in response.content
    still_open.refresh_from_db()
    assert still_open.owner_dealer == world.dealer


def test_a_paused_dealer_and_a_missing_reason_are_refused_with_a_message(client, world, manager):
    lead = world.lead()
    paused = DealerFactory(status=Dealer.Status.PAUSED, name="Slapend B.V.")
    response = client.post(
        reverse("manage:reassign_bulk"),
        {"lead": [lead.pk], "owner": f"dealer:{paused.pk}", "reason": "x"},
        follow=True,
    )
    assert b"Select a valid choice." in response.content  # not offered, so not accepted
    with pytest.raises(ValidationError) as error:  # and the service refuses it too
        leads_reassign(lead_ids=[lead.pk], owner=paused, actor=manager, reason="x")
    assert "Slapend B.V. is Paused" in error.value.message_dict["owner"][0]
    response = client.post(
        reverse("manage:reassign_bulk"),
        {"lead": [lead.pk], "owner": f"dealer:{world.other_dealer.pk}", "reason": ""},
        follow=True,
    )
    assert b"This field is required" in response.content
    response = client.post(
        reverse("manage:reassign_bulk"),
        {"owner": f"dealer:{world.other_dealer.pk}", "reason": "x"},
        follow=True,
    )
    assert b"Tick the leads to reassign first." in response.content
    lead.refresh_from_db()
    assert lead.owner_dealer == world.dealer


def test_reassigning_one_lead_from_its_page(client, world, manager):
    lead = world.lead()
    rep = StaffFactory(role=Role.SENIOR_REP, user__name="Sophie Wagner").user
    url = reverse("manage:lead_reassign", args=[lead.pk])
    assert b"Sophie Wagner" in client.get(url).content
    response = client.post(url, {"owner": f"user:{rep.pk}", "reason": "Big deal"})
    assert response["Location"] == lead.get_absolute_url()
    lead.refresh_from_db()
    assert lead.owner_user == rep and lead.routing_rule == "manual"


def test_the_reassign_list_filters_by_owner_with_a_constant_query_count(client, world, manager):
    mine, theirs = world.lead(), world.lead(postcode="3111 AB")
    url = reverse("manage:reassign")
    response = client.get(url, {"owner": f"dealer:{world.other_dealer.pk}"})
    assert [lead.pk for lead in response.context["page"]] == [theirs.pk]
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _n in range(4):
        world.lead()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert mine.pk in [lead.pk for lead in response.context["page"]]


# --- out of office -------------------------------------------------------------------


def test_a_manager_sets_a_reps_absence_and_routing_uses_the_backup(client, world, manager):
    rep = StaffFactory(role=Role.INTERNAL_SALES, user__name="Rita Rep").user
    backup = StaffFactory(role=Role.INTERNAL_SALES, user__name="Bert Backup").user
    territory_with(name="NL Groningen", ranges=[(9700, 9799)], owners=[(rep, 1)])
    now = timezone.localtime()
    response = client.post(
        reverse("manage:staff_ooo", args=[rep.pk]),
        {
            "out_of_office_from": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "out_of_office_until": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
            "backup": backup.pk,
        },
    )
    assert response["Location"] == reverse("manage:staff")
    assert world.lead(postcode="9711 AB").owner_user == backup
    page = client.get(reverse("manage:staff")).content.decode()
    assert "away now" in page and "Bert Backup" in page


def test_the_out_of_office_list_shows_each_persons_role_once(client, manager):
    """'Internal sales / account manager · account manager' said the role twice."""
    StaffFactory(role=Role.INTERNAL_SALES, is_account_manager=True, user__name="Eva Account")
    StaffFactory(role=Role.INTERNAL_SALES, user__name="Ivo Intern")
    StaffFactory(role=Role.SENIOR_REP, is_account_manager=True, user__name="Sara Senior")
    page = client.get(reverse("manage:staff")).content.decode()
    rows = {
        name: page.split(name)[1].split("</tr>")[0]
        for name in ("Eva Account", "Ivo Intern", "Sara Senior")
    }
    assert ">Account manager<" in rows["Eva Account"]
    assert ">Internal sales<" in rows["Ivo Intern"]
    assert ">Senior / enterprise rep · account manager<" in rows["Sara Senior"]
    for row in rows.values():
        assert row.lower().count("account manager") <= 1, row


def test_bad_absence_input_is_explained(client, world, manager):
    rep = StaffFactory(role=Role.INTERNAL_SALES).user
    url = reverse("manage:staff_ooo", args=[rep.pk])
    response = client.post(
        url, {"out_of_office_from": "2030-01-10T09:00", "out_of_office_until": "2030-01-09T09:00"}
    )
    page = response.content.decode()
    assert "The end must be after the start." in page and "Choose a backup" in page
    rep.staffprofile.refresh_from_db()
    assert rep.staffprofile.out_of_office_from is None


def test_a_rep_sets_their_own_absence_but_not_someone_elses(client, world):
    rep = StaffFactory(role=Role.INTERNAL_SALES).user
    other = StaffFactory(role=Role.INTERNAL_SALES).user
    client.force_login(rep)
    response = client.post(
        reverse("manage:my_ooo"),
        {
            "out_of_office_from": "2030-01-01T09:00",
            "out_of_office_until": "2030-01-10T09:00",
            "backup": other.pk,
        },
    )
    assert response.status_code == 302
    rep.staffprofile.refresh_from_db()
    assert rep.staffprofile.backup == other
    assert client.get(reverse("manage:staff_ooo", args=[other.pk])).status_code == 403
    client.post(reverse("manage:my_ooo"), {"clear": "1"})
    rep.staffprofile.refresh_from_db()
    assert rep.staffprofile.out_of_office_from is None
    assert not rep.staffprofile.is_out_of_office()


# --- rejection reasons --------------------------------------------------------------


def test_the_rejection_report_counts_by_reason_and_source(client, world, manager):
    for reason in ("no_budget", "no_budget", "not_a_lead"):
        lead = world.lead()
        pipeline.lead_reject(lead=lead, actor=world.user, reason=reason)
    lost = world.lead(postcode="3111 AB")
    pipeline.lead_accept(
        lead=lost, actor=world.outsider, next_step="Call", next_step_on=timezone.localdate()
    )
    pipeline.lead_set_status(lead=lost, actor=world.outsider, status="lost", reason="no_contact")
    response = client.get(reverse("manage:rejections"))
    report = response.context["report"]
    rejected = {row.code: row.total for row in report.rejected.rows}
    assert rejected == {"no_budget": 2, "not_a_lead": 1}
    assert {row.code: row.total for row in report.lost.rows} == {"no_contact": 1}
    assert report.rejected.rows[0].by_source == {"api": 2}
    assert "No budget" in response.content.decode()
    other_source = client.get(reverse("manage:rejections"), {"source": "web_form"})
    assert other_source.context["report"].rejected.total == 0
    export = client.get(reverse("manage:rejections"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[1][:3] == ["rejected", "no_budget", "No budget"] and rows[1][-1] == "2"


def test_the_rejection_export_shows_a_stored_reason_like_a_formula_as_text(client, world, manager):
    lost = world.lead(postcode="3111 AB")
    pipeline.lead_accept(
        lead=lost, actor=world.outsider, next_step="Call", next_step_on=timezone.localdate()
    )
    pipeline.lead_set_status(lead=lost, actor=world.outsider, status="lost", reason="no_contact")
    # a reason from before the list was enforced, or written into the database by hand
    formula = '=HYPERLINK("http://evil.example","x")'
    Lead.objects.filter(pk=lost.pk).update(close_reason=formula)
    rows = downloaded_cells(client.get(reverse("manage:rejections"), {"format": "csv"}))
    row = next(row for row in rows if row[0] == "lost")
    assert row[1:3] == ["'" + formula, "'" + formula]
    assert row[-1] == "1"
    assert not live_cells(rows)


# --- who may open what -------------------------------------------------------------

MINE = {
    "manage:pool": "managers",
    "manage:reassign": "managers",
    "manage:reassign_bulk": "managers",
    "manage:lead_reassign": "managers",
    "manage:lead_privacy": "managers",
    "manage:lead_privacy_export": "managers",
    "manage:lead_privacy_erase": "managers",
    "manage:lookup": "staff",
    "manage:account_detail": "staff",
    "manage:account_privacy_export": "managers",
    "manage:account_privacy_erase": "managers",
    "manage:staff": "managers",
    "manage:staff_ooo": "managers",
    "manage:my_ooo": "staff",
    "manage:rejections": "managers",
    "manage:dealer_list": "channel",
    "manage:dealer_create": "channel",
    "manage:dealer_detail": "channel",
    "manage:dealer_edit": "channel",
    "manage:dealer_status": "channel",
    "manage:dealer_capacity": "channel",
    "manage:dealer_invite": "channel",
    "manage:territories": "channel",
    "manage:territory_create": "channel",
    "manage:territory_detail": "channel",
    "manage:territory_edit": "channel",
    "manage:territory_import": "channel",
    "manage:territory_export": "channel",
    "manage:territory_coverage": "channel",
}
ALLOWED = {
    "channel": {Role.CHANNEL_MANAGER},
    "managers": {Role.CHANNEL_MANAGER, Role.SALES_MANAGER},
    "staff": set(Role.staff_roles()),
}
POST_ONLY = {
    "manage:reassign_bulk",
    "manage:lead_privacy_export",
    "manage:lead_privacy_erase",
    "manage:account_privacy_export",
    "manage:account_privacy_erase",
    "manage:dealer_status",
    "manage:dealer_capacity",
    "manage:dealer_invite",
}


def test_every_page_of_this_issue_is_in_the_matrix():
    names = {name for name, _p, _r in walk(get_resolver().url_patterns) if name}
    assert set(MINE) <= names


@pytest.fixture
def objects(world):
    from tests.factories import AccountFactory

    lead = world.lead()
    territory = territory_with(name="T", ranges=[(5000, 5099)], owners=[(world.dealer, 1)])
    rep = StaffFactory(role=Role.INTERNAL_SALES).user
    return {
        "lead_reassign": lead.pk,
        "lead_privacy": lead.pk,
        "lead_privacy_export": lead.pk,
        "lead_privacy_erase": lead.pk,
        "account_detail": AccountFactory().pk,
        "account_privacy_export": None,
        "account_privacy_erase": None,
        "staff_ooo": rep.pk,
        "dealer_detail": world.dealer.pk,
        "dealer_edit": world.dealer.pk,
        "dealer_status": world.dealer.pk,
        "dealer_capacity": world.dealer.pk,
        "dealer_invite": world.dealer.pk,
        "territory_detail": territory.pk,
        "territory_edit": territory.pk,
    }


def url_of(name, objects):
    short = name.split(":")[1]
    if short not in objects:
        return reverse(name)
    pk = objects[short] or objects["account_detail"]
    key = "user_pk" if short == "staff_ooo" else "pk"
    return reverse(name, kwargs={key: pk})


@pytest.mark.parametrize(
    "role",
    ["dealer_admin", "dealer_user", *Role.staff_roles()],
)
def test_the_role_matrix(client, world, objects, role):
    if role == "dealer_admin":
        user = world.admin
    elif role == "dealer_user":
        user = world.user
    else:
        user = StaffFactory(role=role).user
    client.force_login(user)
    for name, audience in MINE.items():
        url = url_of(name, objects)
        method = client.post if name in POST_ONLY else client.get
        # An empty POST is refused by the form before anything changes.
        status = method(url).status_code
        if role in ALLOWED[audience]:
            assert status in (200, 302, 400), f"{role} {name} {status}"
        else:
            assert status == 403, f"{role} {name} {status}"


def test_anonymous_visitors_are_sent_to_login(client, world, objects):
    for name in MINE:
        response = client.get(url_of(name, objects))
        assert response.status_code in (302, 405), name
        if response.status_code == 302:
            assert "/login/" in response["Location"], name


def test_wrong_methods_are_405(client, world, objects, manager):
    for name in MINE:
        url = url_of(name, objects)
        status = (client.get(url) if name in POST_ONLY else client.delete(url)).status_code
        assert status == 405, name


def count_queries(client, url, params=None) -> int:
    world_cache.reset()  # measure with a cold routing-world cache every time
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def test_the_staff_list_query_count_does_not_grow_with_people(client, world, manager):
    url = reverse("manage:staff")
    few = count_queries(client, url)
    backup = StaffFactory(role=Role.INTERNAL_SALES).user
    for _n in range(5):
        profile = StaffFactory(role=Role.SENIOR_REP)
        profile.backup = backup
        profile.save()
    assert count_queries(client, url) == few


def test_the_account_page_query_count_does_not_grow_with_leads(client, world, manager):
    from dealers.services.claims import claim_submit

    claim = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={"company_name": "Bakker Logistiek B.V.", "country": "NL", "postcode": "3011"},
    )
    url = reverse("manage:account_detail", args=[claim.account_id])
    world.lead(company_name="Bakker Logistiek B.V.")
    few = count_queries(client, url)
    for n in range(4):
        world.lead(company_name="Bakker Logistiek B.V.", contact_email=f"p{n}@bakker.example")
    assert count_queries(client, url) == few


def test_the_report_and_coverage_query_counts_do_not_grow(client, world, manager):
    report, coverage = reverse("manage:rejections"), reverse("manage:territory_coverage")
    lead = world.lead()
    pipeline.lead_reject(lead=lead, actor=world.user, reason="no_budget")
    few = count_queries(client, report), count_queries(client, coverage)
    for n in range(4):
        pipeline.lead_reject(lead=world.lead(), actor=world.user, reason="not_a_lead")
        territory_with(
            name=f"T{n}", ranges=[(5000 + n * 10, 5005 + n * 10)], owners=[(world.dealer, 1)]
        )
    assert (count_queries(client, report), count_queries(client, coverage)) == few


def test_the_lead_page_links_managers_to_reassign_and_privacy(client, world, manager):
    lead = world.lead()
    links = [
        reverse("manage:lead_reassign", args=[lead.pk]).encode(),
        reverse("manage:lead_privacy", args=[lead.pk]).encode(),
    ]
    page = client.get(lead.get_absolute_url()).content
    assert all(link in page for link in links)
    client.force_login(world.admin)
    page = client.get(lead.get_absolute_url()).content
    assert not any(link in page for link in links)
