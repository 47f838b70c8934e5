"""Every page of every role on a phone and to axe-core, in Chromium.

The pages come from the URLconf (tests/pages.py: each pattern outside the admin and the
API, ids filled in from a world with every role). One browser context per role, signed
in once, visits them all against one live server:

- at 390 x 844 px (a phone) the page does not scroll sideways: ``scrollWidth`` of the
  document is at most the viewport's width (wide tables are cards or scroll in their
  own container);
- axe-core (static/vendor/axe-core, injected here only, never served on a page) finds
  no serious or critical violation, at phone and at desktop width, also on the portal's
  own 404 page (and 403 for a dealer who opens a staff page); and again, at desktop
  width, with each role reading the portal in Dutch and in German (a translated label
  that no longer contains its button's text is a violation only there);
- at 1280 px every element a keyboard reaches shows a focus ring: focused after a Tab
  (so ``:focus-visible`` applies), it has an outline of at least 2 px that is not
  transparent.

A failure lists every page and problem at once."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from tests.pages import ROLES, pages, role_world

# The portal's own error pages: not in the URLconf walk, which keeps 200 answers only.
NOT_FOUND = "/this-page-does-not-exist/"
FORBIDDEN = {"dealer admin": "/manage/dashboard/", "dealer user": "/manage/dashboard/"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# A working Thursday morning: the pages show the same states whatever day the suite runs.
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))

AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""

# Every element a keyboard reaches, focused in turn after a Tab: its outline.
UNFOCUSABLE_RING = """() => {
  const reachable = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const bad = [];
  let checked = 0;
  for (const element of document.querySelectorAll(reachable)) {
    if (element.disabled || element.closest("[inert], [aria-hidden=true]")) continue;
    if (!element.checkVisibility({visibilityProperty: true})) continue;
    element.focus();
    if (document.activeElement !== element) continue;
    checked += 1;
    // a control drawn by its label (Bootstrap's .btn-check) shows the ring on the label
    const box = element.getBoundingClientRect();
    const clipped = getComputedStyle(element).clip !== "auto" || box.width <= 1 || box.height <= 1;
    const shown = clipped && document.querySelector(`label[for="${element.id}"]`) || element;
    const style = getComputedStyle(shown);
    const visible = element.matches(":focus-visible") && style.outlineStyle !== "none"
      && parseFloat(style.outlineWidth) >= 2
      && !/^(transparent|rgba\\(.*, 0\\))$/.test(style.outlineColor);
    if (!visible) {
      const name = (element.getAttribute("aria-label") || element.textContent || element.name
        || element.id || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      bad.push(`<${element.tagName.toLowerCase()} class="${element.className}"> ${name}: `
        + `outline ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`);
    }
  }
  return {checked, bad};
}"""


def axe_problems(page, axe_url: str, width: str) -> list[str]:
    if page.evaluate("typeof window.axe") == "undefined":
        page.add_script_tag(url=axe_url)
    return [
        f"{width}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
        for v in page.evaluate(AXE)
        if v["impact"] in ("serious", "critical")
    ]


def signed_in_context(chromium, live_server, client, user, *, locale: str):
    context = chromium.new_context(viewport=PHONE, locale=locale, reduced_motion="reduce")
    if user is not None:
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
    return context


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_passes_axe_and_shows_focus(
    chromium, live_server, migrated_rows, client, role
):
    traveller = time_machine.travel(NOW)  # ticks: the browser and server see time pass
    traveller.start()
    try:
        world = role_world()
        user = world.users[role]
        context = signed_in_context(chromium, live_server, client, user, locale="en-GB")
        found = pages(client, world, role)
        axe_url = f"{live_server.url}{settings.STATIC_URL}vendor/axe-core/axe.min.js"
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems, focused = [], 0
        errors = [NOT_FOUND, *([FORBIDDEN[role]] if role in FORBIDDEN else [])]
        for url in [*found.values(), *errors]:
            page.set_viewport_size(PHONE)
            page.goto(live_server.url + url)
            assert page.url == live_server.url + url, f"{url} went to {page.url}"
            if page.evaluate("typeof window.axe") != "undefined":
                problems.append(f"{url}: serves axe-core, which only the tests may load")
            width, viewport = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if width > viewport:
                problems.append(f"{url}: {width} px wide on a {viewport} px phone screen")
            problems += [f"{url} {p}" for p in axe_problems(page, axe_url, "phone")]
            page.set_viewport_size(DESKTOP)
            problems += [f"{url} {p}" for p in axe_problems(page, axe_url, "desktop")]
            page.keyboard.press("Tab")  # from here on focus is the keyboard's
            rings = page.evaluate(UNFOCUSABLE_RING)
            focused += rings["checked"]
            problems += [f"{url} focus not visible: {p}" for p in rings["bad"]]
        context.close()
    finally:
        traveller.stop()
    assert focused >= len(found), "the focus check reached almost nothing"
    assert not problems, f"{len(problems)} problems on {len(found)} pages:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", ["nl", "de"])
@pytest.mark.parametrize("role", [role for role in ROLES if role != "visitor"])
def test_every_page_passes_axe_in_dutch_and_german(
    chromium, live_server, migrated_rows, client, role, language
):
    traveller = time_machine.travel(NOW)
    traveller.start()
    try:
        world = role_world()
        user = world.users[role]
        user.language = language
        user.save(update_fields=["language"])
        context = signed_in_context(chromium, live_server, client, user, locale=language)
        found = pages(client, world, role)
        axe_url = f"{live_server.url}{settings.STATIC_URL}vendor/axe-core/axe.min.js"
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.set_viewport_size(DESKTOP)
        problems = []
        for url in [*found.values(), NOT_FOUND]:
            page.goto(live_server.url + url)
            assert page.evaluate("document.documentElement.lang") == language, url
            problems += [f"{url} {p}" for p in axe_problems(page, axe_url, language)]
        context.close()
    finally:
        traveller.stop()
    assert not problems, f"{len(problems)} problems on {len(found)} pages:\n" + "\n".join(problems)


# The header's tools (bell, account, menu) share the logo's row: below it they cost a
# phone a second bar of 44 px on every page.
TOOLS_BESIDE_LOGO = """() => {
  const brand = document.querySelector(".navbar-brand").getBoundingClientRect();
  const tools = document.querySelector(".navbar .order-xl-last").getBoundingClientRect();
  return tools.top < brand.bottom && tools.left >= brand.right;
}"""


@pytest.mark.parametrize("role", [role for role in ROLES if role != "visitor"])
def test_the_header_is_one_row_from_a_small_phone_up(
    chromium, live_server, migrated_rows, client, role
):
    world = role_world()
    context = signed_in_context(chromium, live_server, client, world.users[role], locale="de")
    page = context.new_page()
    page.goto(live_server.url + "/")
    crowded = []
    for width in (360, 390, 576, 700, 768, 1280, 1400):
        page.set_viewport_size({"width": width, "height": 800})
        if not page.evaluate(TOOLS_BESIDE_LOGO):
            crowded.append(width)
    context.close()
    assert not crowded, f"the header takes two rows at {crowded} px"
