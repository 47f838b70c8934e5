"""A Dutch and a German dealer accept a lead as they expect: the next-step date comes
up as today in the browser's date picker (whatever the language's date format), so
typing only the next step is enough."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from leads.models import Lead
from tests.factories import PASSWORD
from tests.leads.pipeline_world import make_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A Tuesday morning; the clock keeps ticking from there.
MORNING = dt.datetime(2027, 1, 5, 9, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))

WORDS = {
    "nl": {
        "accept": "Accepteren",
        "next_step": "Volgende stap",
        "accept_lead": "Lead accepteren",
        "done": "Geaccepteerd. Je volgende stap staat bij de lead.",
        "status": "Geaccepteerd",
    },
    "de": {
        "accept": "Annehmen",
        "next_step": "Nächster Schritt",
        "accept_lead": "Lead annehmen",
        "done": "Angenommen. Ihr nächster Schritt ist beim Lead hinterlegt.",
        "status": "Angenommen",
    },
}


@pytest.mark.parametrize("language", ["nl", "de"])
def test_a_dealer_accepts_a_lead_in_their_language_without_touching_the_date(
    browser_page, language
):
    words = WORDS[language]
    page = browser_page
    with time_machine.travel(MORNING, tick=True):
        world = make_world()
        world.user.language = language
        world.user.save(update_fields=["language"])
        lead = world.lead(company_name="Havenkraan Techniek B.V.")
        page.login(world.user.email, PASSWORD)

        page.goto(f"{page.base_url}/leads/{lead.pk}/")
        expect(page.get_by_role("heading", name=re.compile("Havenkraan Techniek"))).to_be_visible()
        page.get_by_role("button", name=words["accept"], exact=True).click()
        date_input = page.locator("#accept-panel input[type=date]")
        expect(date_input).to_be_visible()
        # The browser kept the value the page sent: the picker shows today.
        expect(date_input).to_have_value("2027-01-05")
        page.get_by_label(words["next_step"]).fill("Bel de bedrijfsleider")
        page.get_by_role("button", name=words["accept_lead"]).click()

        expect(page.get_by_text(words["done"])).to_be_visible()
        expect(page.get_by_test_id("lead-status")).to_have_text(words["status"])
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ACCEPTED
    assert lead.next_step_on == dt.date(2027, 1, 5)


def test_charts_write_numbers_in_the_pages_language(browser_page):
    """Chart.js labels and the numbers our scripts write follow the page's language,
    not the browser's (an English browser here)."""
    from portal.users.models import Role
    from tests.factories import StaffFactory

    page = browser_page
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    manager.language = "de"
    manager.save(update_fields=["language"])
    page.login(manager.email, PASSWORD)
    page.goto(f"{page.base_url}/manage/dashboard/")
    expect(page.locator("#trend-chart")).to_be_visible()
    assert page.evaluate("window.Chart.defaults.locale") == "de"
    assert page.evaluate("window.Portal.number(2924)") == "2.924"
    assert page.evaluate("window.Portal.percent(50.2, 1)") == "50,2\u00a0%"
