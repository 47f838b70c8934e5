"""Journey: a dealer registers a claim, sees the live conflict warning while typing
(without the other dealer's name) and finds the claim waiting for review.

Runs in Debian's Chromium through Playwright (fixtures in tests/browser/conftest.py);
skipped when it is not installed."""

import re

import pytest
from playwright.sync_api import expect

from dealers import services
from dealers.models import Claim
from portal.users.models import Role
from tests.factories import PASSWORD, DealerFactory, DealerMemberFactory

# serialized_rollback: the rows data migrations made (queues, role groups) survive the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def dealer_page(browser_page):
    """A signed-in dealer admin's page; a competitor already holds an approved claim on
    Delta Bouwgroep B.V."""
    competitor = DealerFactory(name="Concurrent Machines B.V.")
    services.claim_submit(
        dealer=competitor,
        submitted_by=DealerMemberFactory(dealer=competitor, role=Role.DEALER_ADMIN).user,
        data={"company_name": "Delta Bouwgroep B.V.", "country": "NL", "postcode": "5611"},
    )
    member = DealerMemberFactory(
        dealer=DealerFactory(name="Rijnmond Techniek B.V."), role=Role.DEALER_ADMIN
    )
    browser_page.login(member.user.email, PASSWORD)
    browser_page.member = member
    return browser_page


def test_a_dealer_registers_a_claim_and_sees_the_conflict(dealer_page):
    page = dealer_page
    page.get_by_role("link", name="Claims").first.click()
    expect(page.get_by_role("heading", name="Claims")).to_be_visible()
    page.wait_for_load_state()  # htmx binds the live conflict check once loaded

    page.get_by_label("Company name").press_sequentially("Delta Bouwgroep BV", delay=20)
    warning = page.locator("#claim-check [data-check=conflict]")
    expect(warning).to_contain_text("already has an active claim by another dealer")
    expect(page.locator("body")).not_to_contain_text("Concurrent Machines")

    page.get_by_label("Contact person").fill("Jan de Vries")
    page.get_by_label("Expected value (EUR)").fill("45000")
    page.get_by_role("button", name="Register claim").click()

    expect(page.get_by_text("goes to your channel manager for review")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/dealer/claims/\d+/$"))
    expect(page.get_by_text("Pending review").first).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Concurrent Machines")

    page.get_by_role("link", name="Claims").first.click()
    page.get_by_role("link", name=re.compile("Pending review")).click()
    expect(page.locator("#claims-table")).to_contain_text("Delta Bouwgroep BV")

    claim = Claim.objects.get(dealer=page.member.dealer)
    assert claim.status == Claim.Status.PENDING
    assert claim.conflicts[0]["kind"] == "claim"
