"""The channel dashboard's cards on a phone (390 px, the layout rule of
``test_every_page``): the page does not scroll sideways and neither does the card of
internal sales teams, with the rep scorecards' figures in it, and axe-core finds nothing
serious; the table by routing rule reads as a card per rule, every figure on screen
(it scrolled sideways, five of its eight columns out of sight)."""

import pytest
import time_machine
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.test_every_page import axe_problems
from tests.factories import PASSWORD
from tests.leads.test_rep_scorecards import LATER, teams  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def dashboard_on_a_phone(page, channel_manager):
    page.login(channel_manager.email, PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/manage/dashboard/")
    return page


def widths(page, selector: str) -> list[int]:
    """[scrollWidth, clientWidth] of the element: the first is larger when it scrolls."""
    return page.evaluate(
        "(selector) => { const box = document.querySelector(selector);"
        " return [box.scrollWidth, box.clientWidth]; }",
        selector,
    )


def test_the_rep_teams_card_fits_a_phone(browser_page, teams):  # noqa: F811
    page = dashboard_on_a_phone(browser_page, teams["channel"])
    card = page.locator("#rep-teams-card")
    expect(card).to_be_visible()
    expect(card.locator("#rep-team-list > li")).to_have_count(3)
    expect(card.get_by_role("link", name="Rep scorecards")).to_be_visible()
    document = widths(page, "html")
    assert document[0] <= document[1], document
    inside = widths(page, "#rep-teams-card")
    assert inside[0] <= inside[1], inside
    axe_url = f"{page.base_url}{settings.STATIC_URL}vendor/axe-core/axe.min.js"
    assert axe_problems(page, axe_url, "phone") == []


def test_the_routing_rule_table_is_a_card_per_rule_on_a_phone(browser_page, teams):  # noqa: F811
    # Three weeks after the leads came in, inside the dashboard's 12 weeks on any day the
    # suite runs; the clock ticks on, so the browser and the server see time pass.
    with time_machine.travel(LATER):
        page = dashboard_on_a_phone(browser_page, teams["channel"])
        rules = page.locator("#rule-table tbody tr[data-rule]")
        expect(rules).not_to_have_count(0)
        off_screen = page.evaluate(
            """() => [...document.querySelectorAll('#rule-table tbody td')].filter(cell => {
                 const box = cell.getBoundingClientRect();
                 return !cell.checkVisibility() || box.left < 0 || box.right > innerWidth;
               }).map(cell => cell.dataset.label || cell.textContent.trim())"""
        )
        assert off_screen == []
        scroller = widths(page, ".table-responsive:has(> #rule-table)")
        assert scroller[0] <= scroller[1], scroller
        expect(rules.first.locator("td[data-label=Conversion]")).to_be_visible()
