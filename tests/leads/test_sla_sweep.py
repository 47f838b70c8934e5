"""The SLA sweep: reminders, escalations, recycles and claim expiry happen at their
business-time moment, once; the after-hours confirmation; the Timers page."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from dealers.services import claim_renew, claim_submit
from leads import tasks
from leads.models import Assignment, Lead, LeadEvent, LeadGroupObjectPermission, SweepRun
from leads.services import pipeline
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from leads.services.sla import lead_confirm_receipt, sla_sweep
from portal.messages import render_message
from portal.users.models import Notification, Role
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)  # no public holidays in the weeks used


def at(days: int = 0, hour: int = 10, minute: int = 0) -> datetime:
    return (MONDAY + timedelta(days=days)).replace(hour=hour, minute=minute)


@pytest.fixture
def world():
    first = DealerFactory(name="Rijnmond Techniek")
    second = DealerFactory(name="Maasstad Machines")
    people = {}
    for dealer in (first, second):
        people[dealer.pk] = [
            DealerMemberFactory(dealer=dealer, role=Role.DEALER_ADMIN).user,
            DealerMemberFactory(dealer=dealer, user__language="nl").user,
        ]
        DealerMemberFactory(dealer=dealer, user__is_active=False)
    territory_with(name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(first, 1), (second, 1)])
    manager = StaffFactory(role=Role.SALES_MANAGER).user
    rep = StaffFactory(role=Role.INTERNAL_SALES, manager=manager).user
    lone_rep = StaffFactory(role=Role.INTERNAL_SALES).user
    sales_managers = [manager, StaffFactory(role=Role.SALES_MANAGER).user]
    StaffFactory(role=Role.SALES_MANAGER, user__is_active=False)
    territory_with(name="NL Utrecht", ranges=[(3500, 3599)], owners=[(rep, 1)])
    territory_with(name="NL Amersfoort", ranges=[(3800, 3899)], owners=[(lone_rep, 1)])
    return {
        "people": people,
        "rep": rep,
        "manager": manager,
        "lone_rep": lone_rep,
        "sales_managers": sales_managers,
    }


def new_lead(now=MONDAY, postcode="3011", source="api", **fields) -> Lead:
    data = clean_lead_fields(
        {
            "company_name": fields.pop("company_name", "Havenbedrijf Techniek B.V."),
            "country": "NL",
            "postcode": postcode,
            "contact_name": "Jan de Vries",
            "contact_email": fields.pop("contact_email", "jan@havenbedrijf.example"),
            **fields,
        }
    )
    return lead_intake(data=data, source=source, now=now).lead


def sweep(moment, capture):
    with capture(execute=True):
        return sla_sweep(now=moment)


def kinds(lead) -> list[str]:
    return list(lead.events.order_by("at", "id").values_list("kind", flat=True))


def test_a_dealer_is_reminded_once_at_48_working_hours(world, django_capture_on_commit_callbacks):
    lead = new_lead()
    people = world["people"][lead.owner_dealer_id]
    mail.outbox.clear()

    assert sweep(at(2, 9, 59), django_capture_on_commit_callbacks).reminders == 0
    run = sweep(at(2), django_capture_on_commit_callbacks)

    assert run.reminders == 1
    assert kinds(lead).count(LeadEvent.Kind.REMINDER) == 1
    reminders = Notification.objects.filter(kind=Notification.Kind.REMINDER, lead=lead)
    assert sorted(n.recipient_id for n in reminders) == sorted(u.pk for u in people)
    # each in their own language: "Reminder: …" / "Herinnering: …"
    reminded = [
        m for m in mail.outbox if m.subject.split("] ")[1].startswith(("Reminder:", "Herinnering:"))
    ]
    assert sorted(m.to[0] for m in reminded) == sorted(u.email for u in people)
    body = next(m.body for m in reminded if m.subject.split("] ")[1].startswith("Reminder:"))
    assert "No status update within 2 working days." in body  # the reason
    assert "goes to another dealer on 09/03/2026 10:00" in body  # the action, its deadline
    assert f"{settings.SITE_URL}/leads/{lead.pk}/" in body  # the direct link
    # Again, or later: nothing more.
    assert sweep(at(2), django_capture_on_commit_callbacks).reminders == 0
    assert sweep(at(2, 16), django_capture_on_commit_callbacks).reminders == 0
    assert kinds(lead).count(LeadEvent.Kind.REMINDER) == 1
    assert (
        len(
            [
                m
                for m in mail.outbox
                if "Havenbedrijf Techniek B.V. " in m.subject and "lead" not in m.subject.lower()
            ]
        )
        == 2
    )


def test_after_five_working_days_the_lead_goes_to_the_next_dealer(
    world, django_capture_on_commit_callbacks
):
    lead = new_lead()
    first = lead.owner_dealer
    second_id = next(pk for pk in world["people"] if pk != first.pk)

    assert sweep(at(7, 9, 59), django_capture_on_commit_callbacks).recycles == 0
    run = sweep(at(7), django_capture_on_commit_callbacks)

    lead.refresh_from_db()
    assert run.recycles == 1
    assert run.details["recycled"][0]["lead"] == lead.pk
    assert lead.owner_dealer_id == second_id
    assert lead.status == Lead.Status.NEW
    stints = list(lead.assignments.order_by("started_at", "id"))
    assert [s.end_reason for s in stints] == [Assignment.EndReason.RECYCLED, ""]
    assert stints[1].started_at == at(7)
    # The first dealer lost access and was told why.
    assert not LeadGroupObjectPermission.objects.filter(
        content_object=lead, group_id=first.group_id
    ).exists()
    told = Notification.objects.filter(kind=Notification.Kind.RECYCLED)
    assert sorted(n.recipient_id for n in told) == sorted(u.pk for u in world["people"][first.pk])
    assert kinds(lead).count(LeadEvent.Kind.REMINDER) == 1  # on day 2, by the 9:59 sweep
    recycled = lead.events.get(kind=LeadEvent.Kind.RECYCLED)
    assert recycled.from_owner["id"] == first.pk
    assert recycled.data["note"]["params"] == {"days": 5}
    # The new dealer's clocks run from the recycle.
    assert lead.reminder_due_at == at(9)
    assert lead.recycle_due_at == at(14)
    assert sweep(at(7), django_capture_on_commit_callbacks).recycles == 0

    # The second dealer lets it lie too, and the timer was down from day 7 to 14: the
    # recycle comes first and its reminder (day 9) is moot. No dealer is left, so direct
    # sales or the pool.
    assert sweep(at(14), django_capture_on_commit_callbacks).recycles == 1
    lead.refresh_from_db()
    assert lead.owner_dealer_id is None
    assert lead.owner_user_id or lead.owner_queue_id
    assert kinds(lead).count(LeadEvent.Kind.RECYCLED) == 2
    assert kinds(lead).count(LeadEvent.Kind.REMINDER) == 1


def test_a_first_update_stops_the_dealer_clocks(world, django_capture_on_commit_callbacks):
    lead = new_lead()
    member = world["people"][lead.owner_dealer_id][1]
    pipeline.lead_accept(
        lead=lead, actor=member, next_step="Call", next_step_on=at(2).date(), now=at(1)
    )

    run = sweep(at(21), django_capture_on_commit_callbacks)

    assert (run.reminders, run.recycles) == (0, 0)
    lead.refresh_from_db()
    assert lead.owner_dealer_id == member.dealer_membership.dealer_id
    assert LeadEvent.Kind.REMINDER not in kinds(lead)


def test_a_hot_lead_escalates_at_4_working_hours_and_again_after_2_working_days(
    world, django_capture_on_commit_callbacks
):
    friday_16 = at(4, 16)
    lead = new_lead(now=friday_16, postcode="3511", interest="demo")
    assert lead.owner_user_id == world["rep"].pk and lead.temperature == "hot"

    assert sweep(at(7, 10, 59), django_capture_on_commit_callbacks).escalations == 0
    run = sweep(at(7, 11), django_capture_on_commit_callbacks)  # Monday 11:00

    assert run.escalations == 1
    escalations = Notification.objects.filter(kind=Notification.Kind.ESCALATION)
    assert [n.recipient_id for n in escalations] == [world["manager"].pk]
    event = lead.events.get(kind=LeadEvent.Kind.ESCALATION)
    assert event.data["stage"] == "contact"
    assert event.reason["msgid"].startswith("Hot lead")
    lead.refresh_from_db()
    assert lead.escalation_due_at == at(8, 16)  # 2 working days after Friday 16:00

    run = sweep(at(7, 16), django_capture_on_commit_callbacks)  # 1 working day
    assert (run.reminders, run.escalations) == (1, 0)
    reminder = Notification.objects.get(kind=Notification.Kind.REMINDER)
    assert reminder.recipient == world["rep"]

    run = sweep(at(8, 16), django_capture_on_commit_callbacks)
    assert run.escalations == 1
    assert escalations.all().count() == 2
    assert lead.events.filter(kind=LeadEvent.Kind.ESCALATION).last().data["stage"] == "no_action"
    run = sweep(at(21), django_capture_on_commit_callbacks)
    assert (run.reminders, run.escalations, run.recycles) == (0, 0, 0)


def test_without_a_manager_the_sales_managers_are_alerted(
    world, django_capture_on_commit_callbacks
):
    lead = new_lead(postcode="3811", interest="webinar")
    assert lead.owner_user_id == world["lone_rep"].pk and lead.temperature == "warm"

    run = sweep(at(1), django_capture_on_commit_callbacks)  # 1 working day: warm deadline

    assert run.escalations == 1 and run.reminders == 1
    alerted = Notification.objects.filter(kind=Notification.Kind.ESCALATION)
    assert sorted(n.recipient_id for n in alerted) == sorted(u.pk for u in world["sales_managers"])


def test_an_approved_claim_is_reminded_7_days_before_and_expires(
    world, django_capture_on_commit_callbacks
):
    dealer_id, people = next(iter(world["people"].items()))
    admin = people[0]
    kept, lapsing = (
        claim_submit(
            dealer=admin.dealer_membership.dealer,
            submitted_by=admin,
            data={"company_name": name, "country": "NL", "postcode": "3011"},
            now=MONDAY,
        )
        for name in ("Kept Prospect B.V.", "Lapsing Prospect B.V.")
    )
    assert kept.status == lapsing.status == "approved"
    claim_renew(claim=kept, actor=admin, now=at(80))

    run = sweep(at(83), django_capture_on_commit_callbacks)
    assert run.claim_reminders == 1
    note = Notification.objects.get(kind=Notification.Kind.CLAIM, recipient=admin)
    assert note.subject["params"]["company"] == "Lapsing Prospect B.V."
    assert note.url == f"/dealer/claims/{lapsing.pk}/"

    run = sweep(at(90), django_capture_on_commit_callbacks)
    assert run.claim_expiries == 1
    lapsing.refresh_from_db()
    kept.refresh_from_db()
    assert (lapsing.status, kept.status) == ("expired", "approved")
    assert Notification.objects.filter(kind=Notification.Kind.CLAIM).count() == 2 * len(people)
    run = sweep(at(90), django_capture_on_commit_callbacks)
    assert (run.claim_reminders, run.claim_expiries) == (0, 0)
    # each step is in the claims' immutable history, once
    assert list(lapsing.events.values_list("kind", flat=True)) == [
        "submitted",
        "approved",
        "reminder",
        "expired",
    ]
    assert list(kept.events.values_list("kind", flat=True)) == ["submitted", "approved", "renewed"]


def test_an_after_hours_inquiry_is_confirmed_and_the_owner_gets_a_task(
    world, django_capture_on_commit_callbacks
):
    saturday = at(5, 11)
    with django_capture_on_commit_callbacks(execute=True):
        lead = new_lead(now=saturday, language="de", contact_email="anna@hafen.example")

    to_prospect = [m for m in mail.outbox if m.to == ["anna@hafen.example"]]
    assert len(to_prospect) == 1
    assert "Montag, 9. März 2026 08:30" in to_prospect[0].body  # in the prospect's language
    event = lead.events.get(kind=LeadEvent.Kind.CONFIRMATION)
    assert event.data["contact_from"] == "2026-03-09T08:30:00+01:00"
    tasks_ = Notification.objects.filter(subject__msgid="Task for %(start)s: contact %(company)s")
    assert sorted(t.recipient_id for t in tasks_) == sorted(
        u.pk for u in world["people"][lead.owner_dealer_id]
    )
    assert tasks_[0].subject["params"]["start"] == {"at": "2026-03-09T08:30:00+01:00"}
    assert "due 09/03/2026 08:30" in render_message(tasks_[0].body)
    # Once: a second call changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert lead_confirm_receipt(lead_id=lead.pk) is False
    assert len([m for m in mail.outbox if m.to == ["anna@hafen.example"]]) == 1
    assert lead.events.filter(kind=LeadEvent.Kind.CONFIRMATION).count() == 1


@pytest.mark.parametrize(
    "moment, source", [(MONDAY, "web_form"), (at(5, 11), "csv"), (at(5, 11), "dealer")]
)
def test_no_confirmation_in_working_hours_or_for_leads_the_prospect_did_not_send(
    world, django_capture_on_commit_callbacks, moment, source
):
    with django_capture_on_commit_callbacks(execute=True):
        lead = new_lead(now=moment, source=source, contact_email="piet@hafen.example")

    assert not lead.events.filter(kind=LeadEvent.Kind.CONFIRMATION).exists()
    assert not [m for m in mail.outbox if m.to == ["piet@hafen.example"]]


def test_the_command_replays_a_week_sweep_by_sweep(world):
    lead = new_lead()
    out = StringIO()

    call_command(
        "sla_sweep",
        "--now",
        "2026-03-02T10:00",
        "--until",
        "2026-03-09T10:00",
        "--step",
        "60",
        stdout=out,
    )

    lines = out.getvalue().splitlines()
    assert "Wed 2026-03-04 10:00  1 reminder" in lines
    assert "Mon 2026-03-09 10:00  1 recycle" in lines
    assert lines[-1].startswith("169 sweeps: 1 reminders, 0 escalations, 1 recycles")
    lead.refresh_from_db()
    assert lead.assignments.count() == 2


@pytest.mark.parametrize(
    "args, text",
    [
        (["--now", "next tuesday"], "Not a date and time"),
        (["--now", "2026-03-02T10:00", "--until", "2026-03-01T10:00"], "must not be before"),
        (["--step", "0"], "at least 1"),
    ],
)
def test_the_command_explains_bad_input(args, text):
    with pytest.raises(CommandError, match=text):
        call_command("sla_sweep", *args, stdout=StringIO())


def test_the_periodic_task_runs_the_sweep(world):
    new_lead(now=timezone.now() - timedelta(days=14))

    assert tasks.sla_sweep.apply().get() == "1 recycle"
    assert tasks.sla_sweep.apply().get() == ""
    assert SweepRun.objects.count() == 2


def test_the_timers_page_shows_the_last_sweep_and_what_is_due_next(
    world, client, django_capture_on_commit_callbacks
):
    new_lead()
    sweep(at(2), django_capture_on_commit_callbacks)
    admin = StaffFactory(role=Role.CHANNEL_MANAGER, user__is_superuser=True).user

    with time_machine.travel(at(3), tick=False):
        client.force_login(admin)  # a session of that day, not of the day the test runs
        response = client.get("/admin/leads/sweeprun/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Last sweep" in page
    assert "It sent 1 reminders" in page
    assert "Havenbedrijf Techniek B.V." in page  # its recycle is due next

    dealer_user = world["people"][next(iter(world["people"]))][1]
    client.force_login(dealer_user)
    assert client.get("/admin/leads/sweeprun/").status_code == 403
