"""Journey: a channel manager previews a routing policy change, a territory edit and a
dealer's pause, on a phone (390 px) and on a desktop, before applying each. Every
preview shows the shared what-if card, the page does not scroll sideways, axe-core finds
nothing serious, and nothing is written until Apply, Save or Change status.

Runs in Debian's Chromium through Playwright (fixtures in tests/browser/conftest.py);
skipped when it is not installed."""

from decimal import Decimal

import pytest
from django.conf import settings
from playwright.sync_api import expect

from dealers.models import Dealer
from leads.models import Policy
from portal.users.models import Role
from territories.models import PostcodeRange
from tests.browser.test_every_page import axe_problems
from tests.factories import PASSWORD, DealerFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def fits_and_passes_axe(page) -> list[str]:
    width, viewport = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    problems = [f"{page.url}: {width} px wide on {viewport} px"] if width > viewport else []
    axe_url = f"{page.base_url}{settings.STATIC_URL}vendor/axe-core/axe.min.js"
    return problems + axe_problems(page, axe_url, str(viewport))


@pytest.mark.parametrize("width", [390, 1280])
def test_a_channel_manager_previews_each_routing_change_before_applying(browser_page, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    alpha = DealerFactory(name="Alpha Techniek B.V.")
    beta = DealerFactory(name="Beta Machines B.V.")
    territory = territory_with(
        name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1), (beta, 1)]
    )
    StaffFactory(role=Role.SENIOR_REP, user__name="Sophie Senior")
    for _ in range(4):
        new_lead(postcode="3011 AB")
    new_lead(postcode="3011 AB", estimated_value="200000", company_name="Grote Kraan B.V.")
    new_lead(postcode="3111 AB", company_name="Schiedam Staal B.V.")
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    page.login(manager.email, PASSWORD)
    problems = []

    # The routing policy: a lower enterprise threshold.
    page.goto(f"{page.base_url}/manage/routing/")
    expect(page.get_by_role("heading", name="Routing policy")).to_be_visible()
    expect(page.get_by_label("Deal size")).to_have_value("4")
    page.get_by_label("Enterprise threshold (EUR)").fill("150000")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#whatif-owners")).to_contain_text("Sophie Senior")
    expect(page.get_by_label("Enterprise threshold (EUR)")).to_have_value("150000")
    assert Policy.current().enterprise_threshold == Decimal("250000")
    problems += fits_and_passes_axe(page)
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Saved. The next lead is routed by the new policy.")).to_be_visible()
    assert Policy.current().enterprise_threshold == Decimal("150000")

    # A territory: a wider postcode range.
    page.goto(f"{page.base_url}/manage/territories/{territory.pk}/edit/")
    page.get_by_label("Postcode ranges").fill("3000-3199")
    page.get_by_role("button", name="Preview the effect").click()
    page.locator("#whatif summary").click()
    expect(page.locator("#whatif-moves")).to_contain_text("Schiedam Staal B.V.")
    expect(page.get_by_label("Postcode ranges")).to_have_value("3000-3199")
    assert list(PostcodeRange.objects.values_list("end", flat=True)) == [3099]
    problems += fits_and_passes_axe(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    # A dealer's pause.
    page.goto(f"{page.base_url}/manage/dealers/{beta.pk}/")
    page.get_by_role("combobox", name="New status").select_option("paused")
    page.get_by_role("button", name="Preview the new status").click()
    expect(page.locator("#whatif-rerouted")).to_be_visible()
    expect(page.locator("#whatif-owners")).to_contain_text("Beta Machines B.V.")
    assert Dealer.objects.get(pk=beta.pk).status == Dealer.Status.ACTIVE
    problems += fits_and_passes_axe(page)
    assert not problems, "\n".join(problems)
