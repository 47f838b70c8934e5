"""Journey: a channel manager resolves a claim conflict. Two dealers claimed the same
company; the review shows both sides, the manager revokes the older claim with a reason,
approves the newer one, and both dealers are told.

Runs in Debian's Chromium through Playwright (fixtures in tests/browser/conftest.py);
skipped when it is not installed."""

import pytest
from playwright.sync_api import expect

from dealers import services
from dealers.models import Claim
from portal.users.models import Notification, Role
from tests.factories import PASSWORD, DealerFactory, DealerMemberFactory, StaffFactory

# serialized_rollback: the rows data migrations made (queues, role groups) survive the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

COMPANY = {"company_name": "Delta Bouwgroep B.V.", "country": "NL", "postcode": "5611"}


def test_a_channel_manager_resolves_a_claim_conflict(browser_page):
    page = browser_page
    holder = DealerFactory(name="Concurrent Machines B.V.")
    holder_admin = DealerMemberFactory(dealer=holder, role=Role.DEALER_ADMIN).user
    held = services.claim_submit(dealer=holder, submitted_by=holder_admin, data=COMPANY)
    claimant = DealerFactory(name="Rijnmond Techniek B.V.")
    claimant_admin = DealerMemberFactory(dealer=claimant, role=Role.DEALER_ADMIN).user
    pending = services.claim_submit(
        dealer=claimant,
        submitted_by=claimant_admin,
        data={**COMPANY, "notes": "Signed the quote last week."},
    )
    assert (held.status, pending.status) == (Claim.Status.APPROVED, Claim.Status.PENDING)
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    page.login(manager.email, PASSWORD)

    page.get_by_role("button", name="Dealers").click()
    page.get_by_role("link", name="Claim review").click()
    expect(page.get_by_role("heading", name="Claim review")).to_be_visible()
    card = page.locator(f"#claim-{pending.pk}")
    expect(card).to_contain_text("Rijnmond Techniek B.V.")
    expect(card).to_contain_text("Signed the quote last week.")
    conflict = card.locator(".conflict-claim")
    expect(conflict).to_contain_text("Another dealer's claim")
    expect(conflict).to_contain_text("Concurrent Machines B.V.")
    expect(conflict).to_contain_text("Approved")

    # Approving while the other claim holds the company is refused with a clear message.
    card.get_by_text("Approve", exact=True).click()
    card.get_by_label("Reason", exact=True).fill("The customer signed with Rijnmond")
    card.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Another dealer holds an active claim on this company")).to_be_visible()

    card = page.locator(f"#claim-{pending.pk}")
    conflict = card.locator(".conflict-claim")
    conflict.get_by_placeholder("Reason").fill("The customer chose Rijnmond")
    conflict.get_by_role("button", name="Revoke").click()
    expect(
        page.get_by_text(
            "The claim of Concurrent Machines B.V. on Delta Bouwgroep B.V. is rejected"
        )
    ).to_be_visible()

    card = page.locator(f"#claim-{pending.pk}")
    card.get_by_text("Approve", exact=True).click()
    card.get_by_label("Reason", exact=True).fill("The customer signed with Rijnmond")
    card.get_by_role("button", name="Decide").click()
    expect(
        page.get_by_text("The claim of Rijnmond Techniek B.V. on Delta Bouwgroep B.V. is approved")
    ).to_be_visible()
    expect(page.locator(f"#claim-{pending.pk}")).to_have_count(0)

    page.get_by_role("link", name="Decided, last 30 days").click()
    expect(page.locator("#decided-table")).to_contain_text("The customer signed with Rijnmond")

    held.refresh_from_db()
    pending.refresh_from_db()
    assert (held.status, pending.status) == (Claim.Status.REJECTED, Claim.Status.APPROVED)
    told = set(Notification.objects.values_list("recipient__email", flat=True))
    assert {holder_admin.email, claimant_admin.email} <= told
