"""The journeys a dealer lives in: a new lead from the inbox to a meeting, and a lead
rejected with a reason that leaves the inbox."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead
from tests.factories import PASSWORD
from tests.leads.pipeline_world import make_world

# serialized_rollback: the rows data migrations made (queues, role groups) survive the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_dealer_accepts_a_new_lead_logs_a_contact_and_plans_a_meeting(browser_page):
    page = browser_page
    world = make_world()
    lead = world.lead(company_name="Havenkraan Techniek B.V.")
    world.lead(company_name="Andere Prospect B.V.")
    page.login(world.user.email, PASSWORD)

    page.get_by_role("link", name="Leads").first.click()
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()
    page.wait_for_load_state()  # htmx binds the search-while-typing once loaded
    page.get_by_placeholder(re.compile("Company, contact")).fill("Havenkraan")
    row = page.locator("table.lead-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("New")
    row.get_by_role("link", name="Havenkraan Techniek B.V.").click()

    expect(page.get_by_role("heading", name=re.compile("Havenkraan Techniek"))).to_be_visible()
    page.get_by_role("button", name="Accept", exact=True).click()
    page.get_by_label("Next step").fill("Call the plant manager")
    page.get_by_role("button", name="Accept lead").click()
    expect(page.get_by_text("Accepted. Your next step is on the lead.")).to_be_visible()
    expect(page.get_by_test_id("lead-status")).to_have_text("Accepted")

    page.get_by_role("button", name="Log contact").click()
    page.get_by_label("Phone").check()
    page.get_by_label("Reached the contact").check()
    page.locator("#contact-panel textarea").fill("Interested in a demo")
    page.get_by_role("button", name="Save contact attempt").click()
    expect(page.get_by_text("Contact attempt logged.")).to_be_visible()
    expect(page.get_by_text("“Interested in a demo”")).to_be_visible()

    page.get_by_role("button", name="Meeting planned").click()
    expect(page.get_by_test_id("lead-status")).to_have_text("Meeting")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MEETING
    assert lead.next_step == "Call the plant manager"


def test_a_dealer_rejects_a_lead_with_a_reason_and_it_leaves_the_inbox(browser_page):
    page = browser_page
    world = make_world()
    lead = world.lead(company_name="Verkeerde Branche B.V.")
    world.lead(company_name="Blijvende Prospect B.V.")
    page.login(world.user.email, PASSWORD)

    page.goto(f"{page.base_url}/leads/")
    expect(page.get_by_role("link", name="Verkeerde Branche B.V.")).to_be_visible()
    page.get_by_role("link", name="Verkeerde Branche B.V.").click()
    page.get_by_role("button", name="Reject", exact=True).click()
    panel = page.locator("#reject-panel")
    panel.get_by_label("Reason").select_option(label="Not our product line")
    panel.get_by_label("Explanation").fill("We only service food lines")
    page.get_by_role("button", name="Reject lead").click()

    expect(page.get_by_text("You rejected Verkeerde Branche B.V.")).to_be_visible()
    expect(page.get_by_role("link", name="Blijvende Prospect B.V.")).to_be_visible()
    expect(page.get_by_role("link", name="Verkeerde Branche B.V.")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.owner_dealer_id != world.dealer.pk
    assert lead.events.filter(kind="rejected", data__reason="not_our_product").exists()
