"""Journey: a channel manager opens Allocation, sees which dealers' computed weights
differ, previews what the computed weights would have done to the latest leads, applies
them, and sets an override with a reason and an end date after previewing it.

Runs in Debian's Chromium through Playwright (fixtures in tests/browser/conftest.py);
skipped when it is not installed."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dealers.models import Dealer, WeightChange
from portal.users.models import Role
from tests.factories import PASSWORD, DealerFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead

# serialized_rollback: the rows data migrations made (queues, role groups) survive the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_channel_manager_previews_new_weights_and_applies_them(browser_page):
    page = browser_page
    alpha = DealerFactory(name="Alpha Techniek B.V.")
    beta = DealerFactory(name="Beta Machines B.V.", performance_weight=Decimal("0.40"))
    territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1), (beta, 1)])
    for _ in range(6):
        new_lead(postcode="3011 AB")
    manager = StaffFactory(role=Role.CHANNEL_MANAGER, user__name="Claudia Jansen").user
    page.login(manager.email, PASSWORD)

    page.get_by_role("button", name="Dealers").click()
    page.get_by_role("link", name="Allocation weights").click()
    expect(page.get_by_role("heading", name="Allocation weights")).to_be_visible()
    row = page.locator("#weight-table tr", has_text="Beta Machines B.V.")
    expect(row).to_contain_text("0.40")
    expect(row).to_contain_text("1.00")
    expect(page.locator("#apply-form")).to_have_count(0)

    page.get_by_role("button", name="Preview the computed weights").click()
    preview = page.locator("#whatif")
    expect(preview).to_contain_text("Replayed the last 6 leads")
    expect(preview).to_contain_text("1 would go to another owner")
    owners = page.locator("#whatif-owners")
    expect(owners.locator("tr", has_text="Beta Machines B.V.")).to_contain_text("+1")
    expect(owners.locator("tr", has_text="Alpha Techniek B.V.")).to_contain_text("-1")
    expect(page.locator("#whatif-chart")).to_be_visible()
    assert not WeightChange.objects.exists()

    page.get_by_role("button", name="Apply the computed weights").click()
    expect(page.get_by_text("The new weight of 1 dealer applies to the next lead.")).to_be_visible()
    expect(page.locator("#weight-history")).to_contain_text("Beta Machines B.V.")
    beta.refresh_from_db()
    assert beta.performance_weight == Decimal("1.00")
    assert WeightChange.objects.get().actor == manager

    # An override: preview it first, then save it with a reason and an end date.
    page.locator("#weight-table tr", has_text="Alpha Techniek B.V.").get_by_role(
        "link", name="Override"
    ).click()
    expect(page.get_by_role("heading", name="Weight of Alpha Techniek B.V.")).to_be_visible()
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    page.get_by_label("Weight").fill("0")
    page.get_by_label("Until").fill(until)
    page.get_by_label("Reason").fill("Moving to new premises")
    page.get_by_role("button", name="Preview").click()
    expect(page).to_have_url(re.compile(r"preview=1"))
    expect(page.locator("#whatif-owners tr", has_text="Beta Machines B.V.")).to_contain_text("6")
    assert Dealer.objects.get(pk=alpha.pk).weight_override is None

    page.get_by_role("button", name="Save the override").click()
    expect(page.get_by_text("Alpha Techniek B.V. now has weight 0.00")).to_be_visible()
    row = page.locator("#weight-table tr", has_text="Alpha Techniek B.V.")
    expect(row).to_contain_text("0.00")
    alpha.refresh_from_db()
    assert (alpha.weight_override, alpha.weight_override_reason) == (
        Decimal("0.00"),
        "Moving to new premises",
    )
    assert new_lead(postcode="3011 AB").owner_dealer_id == beta.pk


@pytest.mark.parametrize("width", [1280, 390])
def test_the_preview_keeps_its_number_and_the_whole_formula_shows(browser_page, width):
    """After a preview the field still says how many leads were replayed (a preview
    reached without the number, as after a refused apply, showed an empty field), and
    the weight formula fits its card instead of being cut off at the right."""
    page = browser_page
    alpha, beta = DealerFactory(name="Alpha Techniek B.V."), DealerFactory(name="Beta B.V.")
    territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1), (beta, 1)])
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    page.set_viewport_size({"width": width, "height": 900})
    page.login(manager.email, PASSWORD)
    page.goto(f"{page.base_url}/manage/allocation/")
    page.get_by_label("Replay the last").fill("120")
    page.get_by_role("button", name="Preview the computed weights").click()
    expect(page.locator("#whatif")).to_be_visible()
    expect(page.get_by_label("Replay the last")).to_have_value("120")
    page.goto(f"{page.base_url}/manage/allocation/?preview=1")
    expect(page.locator("#whatif")).to_be_visible()
    expect(page.get_by_label("Replay the last")).to_have_value("500")

    formula = page.locator("#formula .formula")
    expect(formula).to_contain_text("20 %")
    expect(formula).to_contain_text("at most 2.00")
    hidden = formula.evaluate("e => e.scrollWidth - e.clientWidth")
    assert hidden <= 0, f"{hidden} px of the formula are cut off at {width} px"
    box, card = formula.bounding_box(), page.locator("#formula").bounding_box()
    assert box["x"] + box["width"] <= card["x"] + card["width"]
