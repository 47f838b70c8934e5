"""Browser journeys in Debian's Chromium (``apt-get install chromium``) through
Playwright; never downloads a browser. Skipped when /usr/bin/chromium is missing
(see tests/conftest.py). Tests wait for visible elements, never for fixed sleeps."""

import importlib
import os

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test itself still
    # talks to the database synchronously, which Django allows with this switch.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # A loaded CI machine (two cores, tests in parallel) can take longer than
    # Playwright's default 5 s for a round trip; assertions still wait for elements.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def migrated_rows(transactional_db):
    """Browser tests run in real transactions, and the flush between them also removes
    the rows data migrations made (the pool and nurture queues, the role groups, the
    policy). Put them back, idempotently."""
    from django.contrib.auth.models import Group, Permission

    from leads.models import Policy, Queue

    migration = importlib.import_module("leads.migrations.0003_roles_queues_immutable_events")
    for name, codenames in migration.GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in (dotted.split(".") for dotted in codenames)
            ]
        )
    for slug, name, description in migration.QUEUES:
        Queue.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
    Policy.current()


@pytest.fixture
def browser_page(chromium, live_server, migrated_rows):
    """A fresh browser tab against the live server; ``page.login(email, password)``.

    The tab prefers reduced motion, so Bootstrap's panels open without their 350 ms
    slide: a click that lands while a panel is still sliding open can press the button
    in one place and release it in another, and the browser then sends no click at all
    (a rejection that never left, seen once in forty runs on a loaded machine)."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", reduced_motion="reduce"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url

    def login(email: str, password: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")

    page.login = login
    yield page
    context.close()
