"""Export and erasure of a prospect's personal data: what is blanked, what stays, that
no event keeps it, and who may do it."""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealers.services.claims import claim_submit
from leads.models import DuplicateSubmission, Lead, LeadEvent
from leads.services import pipeline, privacy
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from portal.users.models import Role
from tests.factories import AccountFactory, StaffFactory
from tests.leads.pipeline_world import make_world

pytestmark = pytest.mark.django_db

PERSON = {
    "contact_name": "Jan de Vries",
    "contact_email": "jan.devries@degroot.example",
    "contact_phone": "+31 10 123 4567",
    "contact_role": "Inkoper",
    "message": "Bel mij op mijn mobiel, Jan",
}
OTHER = {
    "contact_name": "Marieke Smit",
    "contact_email": "marieke.smit@degroot.example",
    "contact_phone": "+31 6 1234 5678",
    "message": "Ook interesse, groet Marieke",
}


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def manager():
    return StaffFactory(role=Role.CHANNEL_MANAGER, user__name="Claudia Jansen").user


@pytest.fixture
def lead(world):
    """A lead with a note on the timeline and two repeat submissions (the same person,
    another colleague)."""
    lead = world.lead(company_name="De Groot Verpakkingen B.V.", estimated_value="50000", **PERSON)
    for extra, ext in ((PERSON, "form-2"), (OTHER, "form-3")):
        data = clean_lead_fields(
            {"company_name": "De Groot Verpakkingen B.V.", "country": "NL", **extra}
        )
        result = lead_intake(data={**data, "external_id": ext}, source=Lead.Source.WEB_FORM)
        assert result.duplicate_of == lead
    pipeline.lead_add_note(lead=lead, actor=world.user, note="Called, asked for a quote")
    lead.refresh_from_db()
    return lead


def all_event_text(lead) -> str:
    return json.dumps(
        [[e.reason, e.data, e.from_owner, e.to_owner] for e in LeadEvent.objects.filter(lead=lead)]
    )


def test_duplicates_keep_personal_data_off_the_immutable_events(lead):
    text = all_event_text(lead)
    for value in [*PERSON.values(), *OTHER.values()]:
        if value not in (PERSON["contact_role"],):
            assert value not in text
    assert DuplicateSubmission.objects.filter(lead=lead).count() == 2


def test_export_holds_everything_about_the_person_and_is_recorded(lead, manager):
    payload = privacy.lead_export_personal_data(lead=lead, actor=manager)
    assert payload["contact"] == PERSON
    assert [s["contact_name"] for s in payload["repeat_submissions"]] == [
        "Jan de Vries",
        "Marieke Smit",
    ]
    assert [n["text"] for n in payload["notes"]] == ["Called, asked for a quote"]
    assert payload["exported_by"] == "Claudia Jansen"
    json.dumps(payload)  # serialisable as it is
    event = lead.events.get(kind=LeadEvent.Kind.EXPORTED)
    assert event.actor == manager


def test_erasure_blanks_the_person_keeps_the_statistics_and_is_recorded(lead, manager):
    before = Lead.objects.values(
        "company_name", "status", "estimated_value", "owner_dealer", "postcode", "email_domain"
    ).get(pk=lead.pk)
    events_before = lead.events.count()

    result = privacy.lead_erase_personal_data(lead=lead, actor=manager, note="ticket 42")

    lead.refresh_from_db()
    assert result.leads == [lead.pk] and result.submissions == 2 and result.kept_events == []
    assert all(getattr(lead, field) == "" for field in PERSON)
    assert lead.erased_at is not None
    after = Lead.objects.values(*before).get(pk=lead.pk)
    assert after == before  # company, status, value, owner, postcode, domain stay
    assert lead.events.count() == events_before + 1
    erased = lead.events.get(kind=LeadEvent.Kind.ERASED)
    assert erased.actor == manager and erased.data["note"] == {"text": "ticket 42"}
    for submission in DuplicateSubmission.objects.filter(lead=lead):
        assert (submission.contact_name, submission.contact_email, submission.message) == (
            "",
            "",
            "",
        )
        assert submission.erased_at is not None
    # Nothing about either person is left anywhere on the lead or its history.
    stored = json.dumps(list(Lead.objects.filter(pk=lead.pk).values()), default=str)
    stored += all_event_text(lead)
    stored += json.dumps(list(DuplicateSubmission.objects.filter(lead=lead).values()), default=str)
    for value in [*PERSON.values(), *OTHER.values()]:
        assert value not in stored
    with pytest.raises(ValidationError):
        privacy.lead_erase_personal_data(lead=lead, actor=manager)


def test_older_duplicate_events_that_hold_contact_data_are_reported(world, manager):
    lead = world.lead(**PERSON)
    LeadEvent.objects.create(
        lead=lead, kind=LeadEvent.Kind.DUPLICATE, data={"contact_name": "Oude Gegevens"}
    )
    assert privacy.lead_personal_data(lead)["older_duplicate_events"][0]["contact_name"] == (
        "Oude Gegevens"
    )
    result = privacy.lead_erase_personal_data(lead=lead, actor=manager)
    assert len(result.kept_events) == 1
    assert (
        lead.events.get(kind=LeadEvent.Kind.ERASED).data["older_events_kept"] == result.kept_events
    )


def test_an_account_request_covers_its_leads_and_claim_contacts(world, manager):
    claim = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={
            "company_name": "Bakker Logistiek B.V.",
            "country": "NL",
            "postcode": "3011",
            "contact_name": "Kees Bakker",
            "contact_email": "kees@bakker.example",
        },
    )
    account = claim.account
    first = world.lead(company_name="Bakker Logistiek B.V.", **PERSON)
    assert first.account == account
    payload = privacy.account_export_personal_data(account=account, actor=manager)
    assert [lead["contact"]["contact_name"] for lead in payload["leads"]] == ["Jan de Vries"]
    assert payload["claims"][0]["contact_name"] == "Kees Bakker"

    result = privacy.account_erase_personal_data(account=account, actor=manager)
    assert (result.leads, result.claims) == ([first.pk], 1)
    claim.refresh_from_db()
    first.refresh_from_db()
    assert (claim.contact_name, claim.contact_email, first.contact_email) == ("", "", "")
    assert first.events.filter(kind=LeadEvent.Kind.ERASED, actor=manager).count() == 1
    assert LogEntry.objects.filter(object_id=str(account.pk)).count() == 2


# --- the pages ---------------------------------------------------------------------


def test_a_manager_exports_and_erases_from_the_lead_page(client, lead, manager):
    client.force_login(manager)
    page = client.get(reverse("manage:lead_privacy", args=[lead.pk]))
    assert page.status_code == 200 and b"Jan de Vries" in page.content
    export = client.post(reverse("manage:lead_privacy_export", args=[lead.pk]))
    assert export["Content-Disposition"].startswith("attachment;")
    assert json.loads(export.content)["contact"]["contact_email"] == PERSON["contact_email"]

    refused = client.post(reverse("manage:lead_privacy_erase", args=[lead.pk]), {})
    assert refused.status_code == 400
    lead.refresh_from_db()
    assert lead.erased_at is None

    done = client.post(
        reverse("manage:lead_privacy_erase", args=[lead.pk]), {"confirm": "on"}, follow=True
    )
    assert b"personal data was erased" in done.content
    lead.refresh_from_db()
    assert lead.erased_at is not None and lead.contact_name == ""


def test_the_account_page_erases_for_managers(client, world, manager):
    claim = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={"company_name": "Bakker Logistiek B.V.", "country": "NL", "postcode": "3011"},
    )
    lead = world.lead(company_name="Bakker Logistiek B.V.", **PERSON)
    assert lead.account_id == claim.account_id
    client.force_login(manager)
    url = reverse("manage:account_detail", args=[claim.account_id])
    assert b"Privacy request" in client.get(url).content
    client.post(reverse("manage:account_privacy_erase", args=[claim.account_id]), {})
    lead.refresh_from_db()
    assert lead.erased_at is None  # without the confirmation nothing happens
    client.post(reverse("manage:account_privacy_erase", args=[claim.account_id]), {"confirm": "on"})
    lead.refresh_from_db()
    assert lead.erased_at is not None


@pytest.mark.parametrize("who", ["dealer_owner", "internal_sales"])
def test_others_cannot_export_or_erase(client, world, who):
    lead = world.lead(**PERSON)
    user = world.admin if who == "dealer_owner" else StaffFactory(role=Role.INTERNAL_SALES).user
    client.force_login(user)
    for name in ("manage:lead_privacy_export", "manage:lead_privacy_erase"):
        assert client.post(reverse(name, args=[lead.pk]), {"confirm": "on"}).status_code == 403
    assert client.get(reverse("manage:lead_privacy", args=[lead.pk])).status_code == 403
    lead.refresh_from_db()
    assert lead.erased_at is None
    assert not lead.events.filter(kind__in=["exported", "erased"]).exists()


def test_export_and_erase_need_post(client, world, manager):
    lead = world.lead(**PERSON)
    client.force_login(manager)
    assert client.get(reverse("manage:lead_privacy_export", args=[lead.pk])).status_code == 405
    assert client.get(reverse("manage:lead_privacy_erase", args=[lead.pk])).status_code == 405
    assert client.get(reverse("manage:lead_privacy", args=[10**8])).status_code == 404


def test_a_dealer_cannot_open_an_account_page(client, world):
    account = AccountFactory(legal_name="Geheim Klant B.V.")
    client.force_login(world.admin)
    response = client.get(reverse("manage:account_detail", args=[account.pk]))
    assert response.status_code == 403 and b"Geheim Klant" not in response.content
