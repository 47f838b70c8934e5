"""Journey: internal sales is about to call a company, looks it up and sees within
seconds that a dealer has claimed it (and until when), then checks a customer and a
company nobody knows."""

import re

import pytest
from playwright.sync_api import expect

from dealers.services.claims import claim_submit
from portal.users.models import Role
from tests.factories import (
    PASSWORD,
    AccountFactory,
    InstalledProductFactory,
    StaffFactory,
)
from tests.leads.pipeline_world import make_world

# serialized_rollback: the rows data migrations made (queues, role groups) survive the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_internal_sales_looks_up_a_claimed_company_before_calling(browser_page):
    page = browser_page
    world = make_world()
    claim = claim_submit(
        dealer=world.dealer,
        submitted_by=world.admin,
        data={
            "company_name": "Bakker Logistiek B.V.",
            "country": "NL",
            "postcode": "3011 AB",
            "website": "bakker-logistiek.example",
        },
    )
    eva = StaffFactory(role=Role.INTERNAL_SALES, user__name="Eva Visser").user
    customer = AccountFactory(legal_name="Jansen Metaal B.V.", account_manager=eva)
    InstalledProductFactory(account=customer, product="Laser cutter LC-3015")
    anna = StaffFactory(role=Role.INTERNAL_SALES, user__name="Anna Schmidt").user
    page.login(anna.email, PASSWORD)

    page.get_by_role("link", name="Company lookup").first.click()
    expect(page.get_by_role("heading", name="Company lookup")).to_be_visible()
    # htmx binds "results while typing" when the page has loaded; a heading can be
    # painted before that, and what is typed earlier sends nothing (seen once in CI).
    page.wait_for_load_state()
    search = page.get_by_label("Company, website, VAT number or postcode")
    search.fill("bakker log")  # results appear while typing
    hit = page.locator(".lookup-hit").filter(has_text="Bakker Logistiek B.V.")
    expect(hit).to_be_visible()
    expect(hit).to_contain_text("Claimed: do not call")
    expect(hit).to_contain_text("Claimed by Rijnmond Techniek until")
    expect(hit).to_contain_text(str(claim.expires_at.year))
    expect(page).to_have_url(re.compile(r"q=bakker"))

    search.fill("Jansen Metaal")
    hit = page.locator(".lookup-hit").filter(has_text="Jansen Metaal B.V.")
    expect(hit).to_contain_text("Customer")
    expect(hit).to_contain_text("Account manager: Eva Visser")
    hit.get_by_role("link", name="Jansen Metaal B.V.").click()
    expect(page.get_by_role("heading", name="Jansen Metaal B.V.")).to_be_visible()
    expect(page.get_by_text("Laser cutter LC-3015")).to_be_visible()

    page.go_back()
    page.wait_for_load_state()
    page.get_by_label("Company, website, VAT number or postcode").fill("Zwaluw Zeilmakerij")
    expect(page.get_by_text("Not known: no customer, claim or open lead.")).to_be_visible()
