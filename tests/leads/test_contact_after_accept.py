"""The policy "show the contact to a dealer only after it accepts": with it on, a dealer's
people see a new lead's company, place, interest and value, and its contact person,
e-mail, phone and message once the lead is accepted, on every surface (the lead page,
the list's search, the CSV/XLSX export, the dealer API); staff always see them; with
the policy off nothing changes.

"Accepted" means accepted by the reader's own dealer: a dealer that lost a lead without
accepting it (recycled, reassigned) does not see the contact once the next dealer
accepted it, and a dealer that accepted a lead keeps seeing the contact it already saw,
also when the lead comes back to it as a new lead."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from leads import access
from leads.models import Lead, Policy
from leads.services import pipeline
from leads.services.api_keys import api_key_create
from leads.services.reassign import leads_reassign
from leads.services.sla import lead_confirm_receipt
from portal.messages import render_message
from portal.users.models import Notification, Role
from tests.factories import StaffFactory
from tests.leads.pipeline_world import make_world
from tests.spreadsheets import downloaded_cells

pytestmark = pytest.mark.django_db

CONTACT = {
    "contact_name": "Sanne Verborgen",
    "contact_email": "sanne@verborgen.example",
    "contact_phone": "+31 10 765 4321",
    "message": "Bel me na drie uur",
}


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def lead(world):
    return world.lead(company_name="Verborgen Techniek B.V.", **CONTACT)


def policy(on: bool) -> None:
    Policy.objects.filter(pk=Policy.current().pk).update(contact_after_accept=on)


def shows_contact(text: str) -> bool:
    return any(value in text for value in CONTACT.values())


def accept(lead, person):
    pipeline.lead_accept(
        lead=lead,
        actor=person,
        next_step="Call",
        next_step_on=timezone.localdate() + timedelta(days=1),
    )


@pytest.mark.parametrize("on", [False, True])
def test_the_lead_page_shows_the_contact_after_the_accept(client, world, lead, on):
    policy(on)
    client.force_login(world.user)
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "Verborgen Techniek B.V." in page
    assert shows_contact(page) is (not on)
    assert ('id="contact-hidden"' in page) is on
    accept(lead, world.user)
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert shows_contact(page)


def test_staff_always_see_the_contact(client, lead):
    policy(True)
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert shows_contact(page)


def test_a_search_by_the_contact_does_not_find_a_new_lead(client, world, lead):
    policy(True)
    client.force_login(world.user)
    found = client.get(reverse("leads:inbox"), {"q": "sanne@verborgen"})
    assert lead.pk not in [row.record.pk for row in found.context["table"].page.object_list]
    by_company = client.get(reverse("leads:inbox"), {"q": "Verborgen Techniek"})
    assert lead.pk in [row.record.pk for row in by_company.context["table"].page.object_list]
    accept(lead, world.user)
    found = client.get(reverse("leads:inbox"), {"q": "sanne@verborgen"})
    assert lead.pk in [row.record.pk for row in found.context["table"].page.object_list]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_leaves_the_contact_out_until_the_accept(client, world, lead, fmt):
    policy(True)
    client.force_login(world.user)
    header, *rows = downloaded_cells(client.get(reverse("leads:inbox"), {"_export": fmt}))
    row = dict(zip(header, rows[0], strict=True))
    assert row["Company"] == "Verborgen Techniek B.V."
    assert not row["Contact person"] and not row["E-mail"] and not row["Phone"]
    accept(lead, world.user)
    header, *rows = downloaded_cells(client.get(reverse("leads:inbox"), {"_export": fmt}))
    row = dict(zip(header, rows[0], strict=True))
    assert row["E-mail"] == CONTACT["contact_email"]


def test_the_dealer_api_leaves_the_contact_out_and_says_so(client, world, lead):
    policy(True)
    _key, token = api_key_create(name="mine", user=world.user)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {token}"}
    listed = client.get("/api/v1/leads/", **auth).json()["results"][0]
    detail = client.get(f"/api/v1/leads/{lead.pk}/", **auth).json()
    for body in (listed, detail):
        assert body["contact_hidden"] is True
        assert body["company_name"] == "Verborgen Techniek B.V."
        assert not shows_contact(str(body))
    accept(lead, world.user)
    detail = client.get(f"/api/v1/leads/{lead.pk}/", **auth).json()
    assert detail["contact_hidden"] is False
    assert detail["contact_email"] == CONTACT["contact_email"]


def test_the_sentence_reads_in_dutch(client, world, lead):
    policy(True)
    world.user.language = "nl"
    world.user.save(update_fields=["language"])
    client.force_login(world.user)
    with translation.override("en"):
        page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "verschijnen als je de lead accepteert" in page


def test_nothing_is_erased_by_hiding(lead, world):
    policy(True)
    lead.refresh_from_db()
    assert lead.contact_email == CONTACT["contact_email"]
    assert Lead.objects.filter(contact_email=CONTACT["contact_email"]).count() == 1


# --- a lead that changes dealers ----------------------------------------------------


def move(lead, dealer):
    """The channel manager gives ``lead`` to ``dealer`` (it arrives there as new)."""
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    leads_reassign(lead_ids=[lead.pk], owner=dealer, actor=manager, reason="Territory fix")
    lead.refresh_from_db()
    assert lead.owner_dealer_id == dealer.pk and lead.status == Lead.Status.NEW


def page_shows_contact(client, person, lead) -> bool:
    client.force_login(person)
    response = client.get(reverse("leads:detail", args=[lead.pk]))
    assert response.status_code == 200
    return shows_contact(response.content.decode())


def search_finds(client, person, lead, text) -> bool:
    client.force_login(person)
    found = client.get(reverse("leads:inbox"), {"q": text, "status": "all"})
    return lead.pk in [row.record.pk for row in found.context["table"].page.object_list]


def exported_row(client, person, lead) -> dict:
    client.force_login(person)
    header, *rows = downloaded_cells(
        client.get(reverse("leads:inbox"), {"_export": "csv", "status": "all"})
    )
    (row,) = [
        row
        for row in (dict(zip(header, r, strict=True)) for r in rows)
        if row["Company"] == lead.company_name
    ]
    return row


def api_detail(client, person, lead) -> dict:
    _key, token = api_key_create(name=f"key-{person.pk}", user=person)
    response = client.get(f"/api/v1/leads/{lead.pk}/", HTTP_AUTHORIZATION=f"Api-Key {token}")
    assert response.status_code == 200
    return response.json()


def hidden_in_sql(dealer, lead) -> bool:
    return Lead.objects.filter(access.contact_hidden_q(dealer.pk), pk=lead.pk).exists()


def test_a_dealer_that_lost_the_lead_unaccepted_never_sees_the_contact(world, lead):
    """The rule itself: the lead is past "new" now, but not by this dealer's accept."""
    policy(True)
    move(lead, world.other_dealer)
    accept(lead, world.outsider)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ACCEPTED
    assert access.contact_hidden(world.user, lead) is True
    assert access.contact_hidden_from_dealer(world.dealer.pk, lead) is True
    assert hidden_in_sql(world.dealer, lead)
    # the dealer that accepted it sees it, and so do staff
    assert access.contact_hidden(world.outsider, lead) is False
    assert not hidden_in_sql(world.other_dealer, lead)
    assert access.contact_hidden(StaffFactory(role=Role.CHANNEL_MANAGER).user, lead) is False


def test_a_dealer_that_lost_the_lead_unaccepted_cannot_reach_it(client, world, lead):
    """Every surface: the lead left the dealer's page, search, export and API (a guard
    beside the rule above: the contact stays out even if the lead is listed)."""
    policy(True)
    move(lead, world.other_dealer)
    accept(lead, world.outsider)
    client.force_login(world.user)
    assert client.get(reverse("leads:detail", args=[lead.pk])).status_code == 404
    assert not search_finds(client, world.user, lead, CONTACT["contact_email"])
    assert not search_finds(client, world.user, lead, CONTACT["contact_name"])
    _header, *rows = downloaded_cells(
        client.get(reverse("leads:inbox"), {"_export": "csv", "status": "all"})
    )
    assert not any(shows_contact(str(row)) for row in rows)
    _key, token = api_key_create(name="lost", user=world.user)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {token}"}
    assert not shows_contact(str(client.get("/api/v1/leads/", **auth).json()))
    assert client.get(f"/api/v1/leads/{lead.pk}/", **auth).status_code == 404


def test_the_new_owner_sees_the_contact_once_it_accepts(client, world, lead):
    policy(True)
    accept(lead, world.user)  # the first dealer saw it ...
    move(lead, world.other_dealer)  # ... but the next one has to accept first
    assert not page_shows_contact(client, world.outsider, lead)
    assert api_detail(client, world.outsider, lead)["contact_hidden"] is True
    assert not search_finds(client, world.outsider, lead, CONTACT["contact_email"])
    assert not exported_row(client, world.outsider, lead)["E-mail"]
    accept(lead, world.outsider)
    assert page_shows_contact(client, world.outsider, lead)
    assert api_detail(client, world.outsider, lead)["contact_email"] == CONTACT["contact_email"]
    assert search_finds(client, world.outsider, lead, CONTACT["contact_email"])
    assert exported_row(client, world.outsider, lead)["E-mail"] == CONTACT["contact_email"]


def test_a_dealer_that_accepted_and_lost_the_lead_keeps_the_contact(world, lead):
    policy(True)
    accept(lead, world.user)
    move(lead, world.other_dealer)
    assert access.contact_hidden(world.user, lead) is False
    assert not hidden_in_sql(world.dealer, lead)
    assert access.contact_hidden(world.outsider, lead) is True  # not accepted there yet


def test_a_lead_back_with_the_dealer_that_accepted_it_shows_the_contact(client, world, lead):
    """Accepted, taken away, given back: new again, but this dealer saw the contact."""
    policy(True)
    accept(lead, world.user)
    move(lead, world.other_dealer)
    move(lead, world.dealer)
    assert page_shows_contact(client, world.user, lead)
    body = api_detail(client, world.user, lead)
    assert body["contact_hidden"] is False
    assert body["contact_email"] == CONTACT["contact_email"]
    assert search_finds(client, world.user, lead, CONTACT["contact_email"])
    assert exported_row(client, world.user, lead)["E-mail"] == CONTACT["contact_email"]


def test_a_lead_back_with_a_dealer_that_never_accepted_it_stays_hidden(client, world, lead):
    policy(True)
    move(lead, world.other_dealer)
    accept(lead, world.outsider)
    move(lead, world.dealer)
    assert not page_shows_contact(client, world.user, lead)
    assert api_detail(client, world.user, lead)["contact_hidden"] is True
    assert not search_finds(client, world.user, lead, CONTACT["contact_email"])
    assert not exported_row(client, world.user, lead)["E-mail"]


def test_staff_see_the_contact_of_a_lead_that_changed_dealers(client, world, lead):
    policy(True)
    move(lead, world.other_dealer)
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    assert page_shows_contact(client, manager, lead)
    accept(lead, world.outsider)
    assert page_shows_contact(client, manager, lead)


def reads_leads(sql: str) -> bool:
    return any(f'"{table}"' in sql for table in LEAD_TABLES)


LEAD_TABLES = ("leads_lead", "leads_leadevent", "leads_assignment")


def test_the_export_and_the_api_list_ask_no_query_per_lead(client, world, lead):
    """The rule is read in the list's own query (an annotation), not once per row."""
    policy(True)
    _key, token = api_key_create(name="count", user=world.user)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {token}"}
    client.force_login(world.user)

    def lead_queries() -> tuple[int, int]:
        """Queries that read leads, their events or stints (sessions, the API key's
        last use, the cached policy and memberships vary with the clock and caches,
        not with the leads)."""
        counted = []
        for params in ({"_export": "csv", "status": "all"}, None):
            with CaptureQueriesContext(connection) as queries:
                if params:
                    client.get(reverse("leads:inbox"), params)
                else:
                    client.get("/api/v1/leads/", **auth)
            counted.append(sum(reads_leads(q["sql"]) for q in queries.captured_queries))
        return counted[0], counted[1]

    few = lead_queries()
    for n in range(4):
        more = world.lead(company_name=f"Meer {n} B.V.")
        if n % 2:
            accept(more, world.user)
    back = world.lead(company_name="Terug B.V.")
    accept(back, world.user)
    move(back, world.other_dealer)
    move(back, world.dealer)
    assert lead_queries() == few


@pytest.mark.parametrize("on", [False, True])
def test_the_after_hours_task_names_the_company_until_the_accept(world, lead, on):
    policy(on)
    saturday = datetime(2026, 3, 7, 11, tzinfo=ZoneInfo("Europe/Amsterdam"))
    Lead.objects.filter(pk=lead.pk).update(confirmation_due_at=saturday)
    assert lead_confirm_receipt(lead_id=lead.pk)
    task = Notification.objects.get(
        recipient=world.user, subject__msgid="Task for %(start)s: contact %(company)s"
    )
    body = render_message(task.body)
    assert (CONTACT["contact_name"] in body) is (not on)
    assert ("Contact Verborgen Techniek B.V." in body) is on
