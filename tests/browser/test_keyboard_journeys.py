"""The journeys a dealer lives in, with the keyboard alone: Tab to move, Enter and Space
to act, typing into fields; never the mouse. At every stop the focused element shows a
focus ring (an outline of at least 2 px), so a keyboard user sees where they are.

Accepting a lead, rejecting one with a reason, and registering a claim with the claim
form, each from signing in."""

import re

import pytest
from playwright.sync_api import expect

from dealers import services
from leads.models import Lead
from portal.users.models import Role
from tests.factories import PASSWORD, DealerFactory, DealerMemberFactory
from tests.leads.pipeline_world import make_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FOCUS_RING = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return "nothing has focus";
  const style = getComputedStyle(element);
  if (element.matches(":focus-within") && style.outlineStyle !== "none"
      && parseFloat(style.outlineWidth) >= 2) return "";
  return `<${element.tagName.toLowerCase()} class="${element.className}"> on ${location.pathname}`
    + ` shows no focus ring (outline ${style.outlineStyle} ${style.outlineWidth})`;
}"""


def tab_to(page, target, limit: int = 80) -> None:
    """Press Tab until ``target`` has the focus; every element on the way shows its ring."""
    page.wait_for_load_state()  # the style sheets of a page just opened
    for _ in range(limit):
        page.keyboard.press("Tab")
        missing_ring = page.evaluate(FOCUS_RING)
        assert not missing_ring, missing_ring
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of Tab did not reach {target}")


def sign_in(page, email: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{page.base_url}/")


def open_lead(page, company: str) -> None:
    """From the start page to the lead's page through the navigation and the inbox."""
    tab_to(page, page.get_by_role("link", name="Leads", exact=True).first)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()
    tab_to(page, page.get_by_role("link", name=company))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(company))).to_be_visible()


def test_a_dealer_accepts_a_lead_with_the_keyboard_alone(browser_page):
    page = browser_page
    world = make_world()
    lead = world.lead(company_name="Havenkraan Techniek B.V.")
    sign_in(page, world.user.email)
    open_lead(page, "Havenkraan Techniek B.V.")

    tab_to(page, page.get_by_role("button", name="Accept", exact=True))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("Next step"))
    page.keyboard.type("Call the plant manager")
    tab_to(page, page.get_by_role("button", name="Accept lead"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("Accepted. Your next step is on the lead.")).to_be_visible()
    expect(page.get_by_test_id("lead-status")).to_have_text("Accepted")
    lead.refresh_from_db()
    assert (lead.status, lead.next_step) == (Lead.Status.ACCEPTED, "Call the plant manager")


def test_a_dealer_rejects_a_lead_with_a_reason_with_the_keyboard_alone(browser_page):
    page = browser_page
    world = make_world()
    lead = world.lead(company_name="Verkeerde Branche B.V.")
    sign_in(page, world.user.email)
    open_lead(page, "Verkeerde Branche B.V.")

    tab_to(page, page.get_by_role("button", name="Reject", exact=True))
    page.keyboard.press("Space")
    reason = page.locator("#reject-panel").get_by_label("Reason")
    tab_to(page, reason)
    page.keyboard.type("Not our")  # a closed select picks the option typed
    expect(reason.locator("option:checked")).to_have_text("Not our product line")
    tab_to(page, page.get_by_label("Explanation"))
    page.keyboard.type("We only service food lines")
    tab_to(page, page.get_by_role("button", name="Reject lead"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("You rejected Verkeerde Branche B.V.")).to_be_visible()
    lead.refresh_from_db()
    assert lead.owner_dealer_id != world.dealer.pk
    assert lead.events.filter(kind="rejected", data__reason="not_our_product").exists()


def test_a_dealer_registers_a_claim_with_the_keyboard_alone(browser_page):
    page = browser_page
    competitor = DealerFactory(name="Concurrent Machines B.V.")
    services.claim_submit(
        dealer=competitor,
        submitted_by=DealerMemberFactory(dealer=competitor, role=Role.DEALER_ADMIN).user,
        data={"company_name": "Delta Bouwgroep B.V.", "country": "NL", "postcode": "5611"},
    )
    member = DealerMemberFactory(dealer=DealerFactory(name="Rijnmond Techniek B.V."))
    sign_in(page, member.user.email)

    tab_to(page, page.get_by_role("link", name="Claims", exact=True).first)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Claims")).to_be_visible()
    tab_to(page, page.get_by_label("Company name"))
    page.keyboard.type("Delta Bouwgroep BV", delay=20)
    expect(page.locator("#claim-check [data-check=conflict]")).to_contain_text(
        "already has an active claim by another dealer"
    )
    tab_to(page, page.get_by_label("Contact person"))
    page.keyboard.type("Jan de Vries")
    tab_to(page, page.get_by_label("Expected value (EUR)"))
    page.keyboard.type("45000")
    tab_to(page, page.get_by_role("button", name="Register claim"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("goes to your channel manager for review")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/dealer/claims/\d+/$"))
    claim = member.dealer.claims.get()
    assert (claim.company_name, claim.contact_name) == ("Delta Bouwgroep BV", "Jan de Vries")
