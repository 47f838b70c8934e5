"""Clocks run on the owner's calendar (DESIGN.md, "Clocks"): the dealer's or rep's
home country and region, not the lead's country. On the database, through the real
intake and routing door."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from dealers.staff.forms import DealerForm
from leads.models import Assignment, LeadEvent
from leads.services import calendars
from leads.services.pipeline import lead_accept
from portal.messages import render_message
from portal.users.models import Notification
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
VIENNA = ZoneInfo("Europe/Vienna")
ZURICH = ZoneInfo("Europe/Zurich")


MUNICH = {
    "country": "DE",
    "postcode": "80331",
    "city": "München",
    "contact_phone": "+49 89 1234567",
}
ANTWERP = {
    "country": "BE",
    "postcode": "2000",
    "city": "Antwerpen",
    "contact_phone": "+32 3 226 45 67",
}
VIENNA_OFFICE = {
    "country": "AT",
    "postcode": "1010",
    "city": "Wien",
    "contact_phone": "+43 1 234 5678",
}
POSTCODES = {"DE": (80000, 89999), "BE": (2000, 2999), "AT": (1000, 1999)}


def routed_at(moment: datetime, owner, place: dict, **fields):
    """A lead from ``place``, routed at ``moment`` in a territory ``owner`` alone serves."""
    country = place["country"]
    territory_with(
        name=place["city"], country=country, ranges=[POSTCODES[country]], owners=[(owner, 1)]
    )
    with time_machine.travel(moment, tick=False):
        return new_lead(**place, **fields)


@pytest.mark.parametrize(
    ("routed", "region", "first_update_due"),
    [
        # Wednesday before Corpus Christi (Thursday 27 May 2027): a Bavarian dealer
        # has the Thursday off, a Hamburg dealer works it.
        (datetime(2027, 5, 26, 10, 0), "DE-BY", datetime(2027, 5, 31, 10, 0)),
        (datetime(2027, 5, 26, 10, 0), "DE-HH", datetime(2027, 5, 28, 10, 0)),
        # All Saints' Day (Monday 1 November 2027) in Bavaria, not in Bremen.
        (datetime(2027, 10, 29, 10, 0), "DE-BY", datetime(2027, 11, 3, 10, 0)),
        (datetime(2027, 10, 29, 10, 0), "DE-HB", datetime(2027, 11, 2, 10, 0)),
        # No region: the country's national holidays only.
        (datetime(2027, 5, 26, 10, 0), "", datetime(2027, 5, 28, 10, 0)),
    ],
)
def test_a_dealers_regional_holidays_move_its_deadlines(routed, region, first_update_due):
    dealer = DealerFactory(countries=["DE"], home_country="DE", region=region)

    lead = routed_at(
        routed.replace(tzinfo=BERLIN),
        dealer,
        MUNICH,
    )

    assert lead.owner_dealer == dealer
    assert lead.first_update_due_at == first_update_due.replace(tzinfo=BERLIN)
    stint = Assignment.objects.get(lead=lead, ended_at__isnull=True)
    assert stint.sla_due_at == lead.first_update_due_at


def test_a_belgian_lead_with_a_dutch_dealer_runs_on_dutch_working_days():
    """21 July is Belgium's national day, a working day in the Netherlands."""
    dutch = DealerFactory(countries=["NL", "BE"], home_country="NL")

    lead = routed_at(
        datetime(2027, 7, 20, 10, 0, tzinfo=AMSTERDAM),
        dutch,
        ANTWERP,
    )

    assert lead.owner_dealer == dutch
    assert lead.first_update_due_at == datetime(2027, 7, 22, 10, 0, tzinfo=AMSTERDAM)


@pytest.mark.parametrize(
    ("routed", "first_update_due"),
    [
        # Tuesday 26 October 2027 is Austria's national day, a working day in
        # Switzerland: two Swiss working days end on the Wednesday, not the Thursday.
        (datetime(2027, 10, 25, 10, 0), datetime(2027, 10, 27, 10, 0)),
        # Tuesday 1 August 2028 is the Swiss national day, a working day in Austria:
        # the Swiss importer's two working days end on the Thursday.
        (datetime(2028, 7, 31, 10, 0), datetime(2028, 8, 3, 10, 0)),
    ],
)
def test_an_austrian_lead_with_a_swiss_importer_runs_on_swiss_holidays(routed, first_update_due):
    importer = DealerFactory(countries=["CH", "AT"], home_country="CH")

    lead = routed_at(routed.replace(tzinfo=ZURICH), importer, VIENNA_OFFICE)

    assert lead.owner_dealer == importer
    assert lead.first_update_due_at == first_update_due.replace(tzinfo=ZURICH)
    stint = Assignment.objects.get(lead=lead, ended_at__isnull=True)
    assert stint.sla_due_at == lead.first_update_due_at


def test_the_prospect_is_told_their_own_working_day_and_the_owner_gets_a_task_on_theirs(
    django_capture_on_commit_callbacks,
):
    """An Austrian inquiry on Monday evening 31 July 2028, owned by a Swiss importer:
    the prospect is told to expect contact from Tuesday 1 August 08:30 (a working day
    in Austria); the importer's task is due on its own next working day, Wednesday
    2 August 08:30, as 1 August is the Swiss national day."""
    importer = DealerFactory(countries=["CH", "AT"], home_country="CH")
    seller = DealerMemberFactory(dealer=importer).user

    with django_capture_on_commit_callbacks(execute=True):
        lead = routed_at(
            datetime(2028, 7, 31, 20, 0, tzinfo=VIENNA),
            importer,
            VIENNA_OFFICE,
            language="de",
            contact_email="anna@wiener-werkstatt.example",
        )

    assert lead.owner_dealer == importer
    to_prospect = [m for m in mail.outbox if m.to == ["anna@wiener-werkstatt.example"]]
    assert len(to_prospect) == 1
    assert "Dienstag, 1. August 2028 08:30" in to_prospect[0].body
    event = lead.events.get(kind=LeadEvent.Kind.CONFIRMATION)
    assert event.data["contact_from"] == "2028-08-01T08:30:00+02:00"
    task = Notification.objects.get(
        recipient=seller, subject__msgid="Task for %(start)s: contact %(company)s"
    )
    assert task.subject["params"]["start"] == {"at": "2028-08-02T08:30:00+02:00"}
    body = render_message(task.body)
    assert "expect contact from 01/08/2028 08:30" in body
    assert "due 02/08/2028 08:30" in body


def test_an_owners_after_hours_task_is_never_due_before_the_prospect_expects_contact(
    django_capture_on_commit_callbacks,
):
    """Monday evening 25 October 2027: Tuesday is Austria's national day, so the
    prospect is told Wednesday; the Swiss importer works Tuesday but its task waits
    for Wednesday too."""
    importer = DealerFactory(countries=["CH", "AT"], home_country="CH")
    seller = DealerMemberFactory(dealer=importer).user

    with django_capture_on_commit_callbacks(execute=True):
        lead = routed_at(
            datetime(2027, 10, 25, 20, 0, tzinfo=VIENNA),
            importer,
            VIENNA_OFFICE,
            contact_email="franz@wiener-werkstatt.example",
        )

    event = lead.events.get(kind=LeadEvent.Kind.CONFIRMATION)
    assert event.data["contact_from"] == "2027-10-27T08:30:00+02:00"
    task = Notification.objects.get(
        recipient=seller, subject__msgid="Task for %(start)s: contact %(company)s"
    )
    assert task.subject["params"]["start"] == {"at": "2027-10-27T08:30:00+02:00"}


def test_a_dealer_without_a_home_country_follows_the_leads_country():
    unset = DealerFactory(countries=["NL", "BE"], home_country="")

    lead = routed_at(
        datetime(2027, 7, 20, 10, 0, tzinfo=AMSTERDAM),
        unset,
        ANTWERP,
    )

    assert lead.first_update_due_at == datetime(2027, 7, 23, 10, 0, tzinfo=AMSTERDAM)


def test_a_reps_region_counts_on_the_reps_clocks():
    """A hot lead for a rep in Bavaria on the eve of Corpus Christi: 4 working hours
    from 16:00 Wednesday end at 11:00 on Friday, not on Thursday."""
    rep = StaffFactory(home_country="DE", region="DE-BY", countries=["DE"]).user

    lead = routed_at(
        datetime(2027, 5, 26, 16, 0, tzinfo=BERLIN),
        rep,
        MUNICH,
        interest="demo",
    )

    assert lead.owner_user == rep
    assert lead.first_update_due_at == datetime(2027, 5, 28, 11, 0, tzinfo=BERLIN)
    assert calendars.owner_places([("user", rep.pk)]) == {("user", rep.pk): ("DE", "DE-BY")}


def test_the_first_update_is_measured_in_the_owners_working_hours():
    dealer = DealerFactory(countries=["DE"], home_country="DE", region="DE-BY")
    lead = routed_at(
        datetime(2027, 5, 26, 16, 30, tzinfo=BERLIN),
        dealer,
        MUNICH,
    )
    member = DealerMemberFactory(dealer=dealer).user
    with time_machine.travel(datetime(2027, 5, 28, 9, 30, tzinfo=BERLIN), tick=False):
        lead_accept(lead=lead, actor=member, next_step="Call", next_step_on=date(2027, 5, 31))

    stint = Assignment.objects.get(lead=lead)
    # Wednesday 16:30-17:30 and Friday 08:30-09:30; Thursday is a holiday in Bavaria.
    assert stint.first_update_hours == 2.0


@pytest.mark.parametrize(
    ("home_country", "region", "valid"),
    [("DE", "DE-BY", True), ("AT", "AT-9", True), ("DE", "AT-9", False), ("", "DE-BY", False)],
)
def test_the_dealer_form_takes_only_a_region_of_the_home_country(home_country, region, valid):
    form = DealerForm(
        data={
            "name": "Alpen Technik GmbH",
            "contact_email": "info@alpen.example",
            "language": "de",
            "countries": ["DE", "AT"],
            "home_country": home_country,
            "region": region,
        }
    )
    assert form.is_valid() is valid, form.errors
    if not valid:
        assert "region" in form.errors
