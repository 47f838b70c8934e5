"""The demo data set: realistic, consistent with the routing rules, and idempotent.

The demo is seeded once for the module (it is slow), at a fixed awkward moment: the
Tuesday after Easter Monday (a public holiday in every dealer country), two days after
the clocks went forward, before anyone is at work.
"""

import re
import statistics
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.utils import translation

from dealers.models import Claim, ClaimEvent, Dealer, DealerMembership
from dealers.scorecards import dealer_scorecards
from dealers.services.checks import CUSTOMER, claim_check
from leads.demo import companies
from leads.demo.history import simulation
from leads.models import Account, Assignment, Lead, LeadEvent, LeadGroupObjectPermission
from leads.services.pipeline import REASON_SENTENCES
from leads.sla import businesstime
from portal.users.models import User
from territories.models import Territory

pytestmark = pytest.mark.django_db

SEEDED_AT = datetime(2027, 3, 30, 7, 45, tzinfo=ZoneInfo("Europe/Amsterdam"))
SIZE = {"accounts": 300, "claims": 60, "leads": 1200, "quiet_logins": True}
MODELS = [
    User,
    Dealer,
    Territory,
    Account,
    Claim,
    Lead,
    Assignment,
    LeadEvent,
    LeadGroupObjectPermission,
]

# Calling code and the number of digits after it, by country.
PHONE_PLANS = {
    "NL": ("+31", range(9, 10)),
    "BE": ("+32", range(8, 10)),
    "DE": ("+49", range(10, 12)),
    "AT": ("+43", range(8, 14)),
    "CH": ("+41", range(9, 10)),
    "LU": ("+352", range(8, 10)),
}
# When people act: 08:00-18:00 local time, Monday to Friday, not on public holidays.
OFFICE = {
    code: businesstime.WorkingCalendar.for_country(code, day_start=time(8), day_end=time(18))
    for code in PHONE_PLANS
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo seeded once, rolled back after the module."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(SEEDED_AT, tick=False),
        transaction.atomic(),
    ):
        call_command("seed_demo", **SIZE)
        yield
        transaction.set_rollback(True)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_twice_leaves_the_same_counts(demo, capsys):
    first = counts()
    call_command("seed_demo", **SIZE)
    assert counts() == first
    assert "nothing added" in capsys.readouterr().out
    assert first["Dealer"] == 40
    assert first["Lead"] == SIZE["leads"]
    assert first["Claim"] == SIZE["claims"]


def test_seed_demo_prints_the_logins(demo, capsys):
    call_command("seed_demo", accounts=50, claims=5, leads=50)
    out = capsys.readouterr().out
    assert "demo-portal-2026" in out
    assert "claudia.jansen@demo.dealerportal.eu" in out
    assert "admin.rijnmond-industrie@demo.dealerportal.eu" in out


def test_the_printed_logins_sign_in(demo, client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the demo's
    for email in (
        "claudia.jansen@demo.dealerportal.eu",
        "user1.rijnmond-industrie@demo.dealerportal.eu",  # reads Dutch
    ):
        assert client.login(username=email, password="demo-portal-2026"), email
        with translation.override("en"):  # the portal switches to the user's language
            assert client.get("/", follow=True).status_code == 200
        client.logout()


def test_demo_history_is_consistent(demo):
    # Every lead has exactly one open or closed stint per owner change, and its current
    # owner's stint is the last one.
    for lead in Lead.objects.prefetch_related("assignments")[:100]:
        stints = list(lead.assignments.all())
        assert stints, lead
        last = stints[-1]
        assert (last.owner_dealer_id, last.owner_user_id, last.owner_queue_id) == (
            lead.owner_dealer_id,
            lead.owner_user_id,
            lead.owner_queue_id,
        )
        assert all(s.ended_at for s in stints[:-1])
    statuses = dict(Lead.objects.values_list("status").annotate(n=Count("pk")))
    assert {"new", "accepted", "won", "lost"} <= set(statuses)
    rules = set(Lead.objects.values_list("routing_rule", flat=True))
    assert {"territory", "installed_base"} <= rules
    # Dealers see their leads through object permissions on their group.
    dealer_leads = Lead.objects.filter(owner_dealer__isnull=False).count()
    assert LeadGroupObjectPermission.objects.count() == 2 * dealer_leads
    # Some open dealer leads wait with running clocks, and a few are due at once so the
    # timer loop acts in the demo's first minute.
    assert Lead.objects.filter(status="new", recycle_due_at__isnull=False).exists()
    due = Lead.objects.filter(status="new", owner_dealer__isnull=False)
    assert due.filter(reminder_due_at__lte=SEEDED_AT).exists()
    assert due.filter(recycle_due_at__lte=SEEDED_AT).exists()
    # Nothing happened after the moment the demo was made.
    assert not LeadEvent.objects.filter(at__gt=SEEDED_AT).exists()
    assert not Claim.objects.filter(submitted_at__gt=SEEDED_AT).exists()


def test_out_of_office_rep_has_a_backup(demo):
    anna = User.objects.get(email="anna.schmidt@demo.dealerportal.eu").staffprofile
    assert anna.backup.name == "Thomas Becker"
    assert anna.is_out_of_office(SEEDED_AT)


# --- looks real: phones, office hours, dealers that differ, no accidental conflict ----


def assert_phone_of(country: str, phone: str) -> None:
    calling_code, lengths = PHONE_PLANS[country]
    assert phone.startswith(calling_code + " "), (country, phone)
    assert re.fullmatch(r"\+[\d ]+", phone), phone
    digits = phone.removeprefix(calling_code).replace(" ", "")
    assert len(digits) in lengths, (country, phone)
    assert digits[0] != "0", phone  # no national trunk prefix after the calling code


def test_every_phone_number_belongs_to_its_country(demo):
    leads = list(Lead.objects.values_list("country", "contact_phone"))
    assert leads
    for country, phone in leads:
        assert_phone_of(country, phone)
    # Landlines carry the city's area code: Rotterdam +31 10, München +49 89.
    assert Lead.objects.filter(city="Rotterdam", contact_phone__startswith="+31 10 ").exists()
    assert Lead.objects.filter(city="München", contact_phone__startswith="+49 89 ").exists()
    for dealer in Dealer.objects.all():
        assert_phone_of(dealer.countries[0].code, dealer.phone)
    members = DealerMembership.objects.select_related("user", "dealer")
    assert members
    for membership in members:
        assert_phone_of(membership.dealer.countries[0].code, membership.user.phone)
    for user in User.objects.filter(staffprofile__isnull=False):
        assert user.phone.startswith(("+31 ", "+49 ")), user.phone


def test_every_phone_number_is_valid_in_its_numbering_plan(demo):
    phonenumbers = pytest.importorskip("phonenumbers")
    phones = [
        *Lead.objects.values_list("country", "contact_phone"),
        *((d.countries[0].code, d.phone) for d in Dealer.objects.all()),
    ]
    for country, phone in phones:
        number = phonenumbers.parse(phone, None)
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.region_code_for_number(number) == country, phone


def test_what_people_write_is_in_their_language(demo):
    """A Dutch dealer's next step is Dutch, a German prospect writes German, and a
    rejection is the translatable sentence ``lead_reject`` stores (each reader sees it
    in their own language)."""
    rejected = LeadEvent.objects.filter(kind="rejected")
    assert rejected.exists()
    assert {event.reason["msgid"] for event in rejected} <= set(REASON_SENTENCES.values())
    for language in ("nl", "de"):
        steps = set(
            LeadEvent.objects.filter(
                kind="accepted", actor__dealermembership__dealer__language=language
            ).values_list("data__next_step", flat=True)
        )
        assert steps and steps <= set(simulation.NEXT_STEPS[language]), (language, steps)
    german = set(Lead.objects.filter(country="DE").values_list("message", flat=True))
    assert german - {""} and german <= set(companies.MESSAGES["de"]), german


def assert_in_office_hours(moment: datetime, country: str, what) -> None:
    assert businesstime.is_working_time(moment, OFFICE[country]), (
        what,
        country,
        moment.astimezone(OFFICE[country].tz).strftime("%a %Y-%m-%d %H:%M"),
    )


def test_people_act_in_their_office_hours(demo):
    """Dealers and reps accept, reject, call and move leads on working days between
    08:00 and 18:00 their time, never at 03:16 or on a public holiday."""
    dealer_country = {d.pk: d.countries[0].code for d in Dealer.objects.all()}
    member_of = dict(DealerMembership.objects.values_list("user_id", "dealer_id"))
    events = LeadEvent.objects.filter(actor__isnull=False).values_list(
        "kind", "at", "actor_id", "lead__country"
    )
    kinds = Counter()
    for kind, at, actor, lead_country in events:
        dealer = member_of.get(actor)
        country = dealer_country[dealer] if dealer else lead_country
        assert_in_office_hours(at, country, kind)
        kinds[kind, "dealer" if dealer else "rep"] += 1
    for kind in ("accepted", "rejected", "contact", "status"):
        assert kinds[kind, "dealer"] > 0, kinds
    assert kinds["accepted", "rep"] > 0, kinds
    first_updates = Assignment.objects.filter(
        owner_dealer__isnull=False, first_update_at__isnull=False
    ).values_list("first_update_at", "owner_dealer_id")
    assert first_updates
    for at, dealer in first_updates:
        assert_in_office_hours(at, dealer_country[dealer], "first update")
    # Claims are registered, withdrawn and rejected by people too.
    claim_events = ClaimEvent.objects.filter(actor__isnull=False).select_related("claim")
    assert claim_events.filter(kind="submitted").exists()
    assert claim_events.filter(kind="withdrawn").exists()
    for event in claim_events:
        country = dealer_country[event.claim.dealer_id] if event.kind != "rejected" else "NL"
        assert_in_office_hours(event.at, country, event.kind)
    # Leads themselves arrive at any time: web forms at night are real.
    arrivals = Lead.objects.values_list("created_at", "country")
    assert any(not businesstime.is_working_time(at, OFFICE[c]) for at, c in arrivals)


def test_dealers_differ_in_how_fast_they_follow_up(demo):
    """The dealer scorecards show spread medians and follow-up rates, not the same
    figure for many dealers."""
    cards = [
        card
        for card in dealer_scorecards(
            start=SEEDED_AT - timedelta(days=200), end=SEEDED_AT, now=SEEDED_AT
        )
        if card.measured >= 5 and card.median_first_update_hours is not None
    ]
    assert len(cards) >= 25
    medians = [round(card.median_first_update_hours, 1) for card in cards]
    assert len(set(medians)) >= 0.8 * len(medians), sorted(medians)
    assert max(Counter(medians).values()) <= 3, sorted(medians)  # was 17 dealers at 9.0 h
    assert min(medians) <= 2.0 and max(medians) >= 15.0, sorted(medians)
    assert statistics.quantiles(medians, n=4)[2] >= 2 * statistics.quantiles(medians, n=4)[0]
    follow_up = [card.follow_up_rate for card in cards]
    assert max(follow_up) - min(follow_up) >= 0.4, sorted(follow_up)


def test_no_claim_on_a_customer_but_the_one_shown_on_purpose(demo):
    """A claim is clean when registered (approved automatically), so no approved claim
    is on an existing customer or a subsidiary of one, except the documented one: a
    pending claim in the review queue that the claim check flags."""
    customer_claims = []
    claims = Claim.objects.select_related("dealer").order_by("pk")
    for claim in claims:
        fields = {
            "company_name": claim.company_name,
            "country": claim.country.code,
            "vat_number": claim.vat_number,
            "website": claim.website,
        }
        check = claim_check(dealer=claim.dealer, data=fields, now=SEEDED_AT)
        if any(conflict["kind"] == CUSTOMER for conflict in check.conflicts):
            customer_claims.append(claim)
    assert [(c.status, c.dealer.name) for c in customer_claims] == [
        (Claim.Status.PENDING, "Rijnmond Industrie Service B.V.")
    ]
    (shown,) = customer_claims
    assert shown.conflicts == [{"kind": CUSTOMER, "account_id": shown.account_id}]
    assert shown.account.serving_dealer_id != shown.dealer_id
    assert shown.notes.startswith("[demo]")
    assert Claim.objects.filter(status=Claim.Status.APPROVED).count() >= 20
