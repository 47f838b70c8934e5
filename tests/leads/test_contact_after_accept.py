"""The policy "show the contact to a dealer only after it accepts": with it on, a dealer's
people see a new lead's company, place, interest and value, and its contact person,
e-mail, phone and message once the lead is accepted, on every surface (the lead page,
the list's search, the CSV/XLSX export, the dealer API); staff always see them; with
the policy off nothing changes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from leads.models import Lead, Policy
from leads.services import pipeline
from leads.services.api_keys import api_key_create
from portal.users.models import Role
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
