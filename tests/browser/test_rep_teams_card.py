"""The channel dashboard's card of internal sales teams on a phone (390 px, the layout
rule of ``test_every_page``): the page does not scroll sideways and neither does the
card, with the rep scorecards' figures in it, and axe-core finds nothing serious."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.test_every_page import axe_problems
from tests.factories import PASSWORD
from tests.leads.test_rep_scorecards import teams  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_the_rep_teams_card_fits_a_phone(browser_page, teams):  # noqa: F811
    page = browser_page
    page.login(teams["channel"].email, PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/manage/dashboard/")
    card = page.locator("#rep-teams-card")
    expect(card).to_be_visible()
    expect(card.locator("#rep-team-list > li")).to_have_count(3)
    expect(card.get_by_role("link", name="Rep scorecards")).to_be_visible()
    document = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert document[0] <= document[1], document
    inside = page.evaluate(
        "(() => { const box = document.querySelector('#rep-teams-card');"
        " return [box.scrollWidth, box.clientWidth]; })()"
    )
    assert inside[0] <= inside[1], inside
    axe_url = f"{page.base_url}{settings.STATIC_URL}vendor/axe-core/axe.min.js"
    assert axe_problems(page, axe_url, "phone") == []
