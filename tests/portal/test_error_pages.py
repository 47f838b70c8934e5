"""What a newcomer meets in the demo (DEBUG on): the portal's own 404 and 403 pages, not
Django's debug page listing every URL pattern; one console line per refused or missing
page, not tracebacks; a favicon; and ``/me/``, which the README names, leads somewhere."""

import io
import logging

import pytest
from django.urls import reverse

from leads.models import Lead
from tests.factories import DealerFactory, DealerMemberFactory

pytestmark = pytest.mark.django_db

DJANGO_DEBUG_404 = b"you have <code>DEBUG = True</code>"


@pytest.fixture
def demo(settings):
    """The demo's settings: DEBUG on (``dev.py run``)."""
    settings.DEBUG = True
    return settings


@pytest.fixture
def console():
    """Everything the log handlers of ``django.request`` write, as the console shows it."""
    stream = io.StringIO()
    swapped = []
    logger = logging.getLogger("django.request")
    while logger is not None:
        for handler in logger.handlers:
            ours = not type(handler).__module__.startswith("_pytest")  # not pytest's capture
            if ours and isinstance(handler, logging.StreamHandler):
                swapped.append((handler, handler.setStream(stream)))
        logger = logger.parent if logger.propagate else None
    assert swapped, "no console handler on django.request's way to the root logger"
    yield stream
    for handler, old in swapped:
        handler.setStream(old)


def test_a_missing_page_is_the_portals_404_with_debug_on(client, demo):
    client.force_login(DealerMemberFactory().user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert DJANGO_DEBUG_404 not in response.content
    assert b"Page not found" in response.content
    assert b"Back to the start page" in response.content


def test_a_lead_that_is_no_longer_yours_is_the_portals_404_with_debug_on(client, demo):
    """A dealer revisiting a lead it rejected: the view's 404, not Django's debug page."""
    member = DealerMemberFactory()
    lead = Lead.objects.create(
        company_name="Gone B.V.", country="NL", source="api", owner_dealer=DealerFactory()
    )
    client.force_login(member.user)
    response = client.get(reverse("leads:detail", args=[lead.pk]))
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert DJANGO_DEBUG_404 not in response.content
    assert b"Back to the start page" in response.content


def test_a_developer_can_ask_for_djangos_debug_404(client, demo):
    demo.DEBUG_TECHNICAL_404 = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert DJANGO_DEBUG_404 in response.content


def test_without_debug_the_404_is_the_portals_as_before(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_a_refused_page_is_one_line_on_the_console(client, demo, console):
    client.force_login(DealerMemberFactory().user)  # a dealer user, not its admin
    response = client.get(reverse("dealers:team"))
    assert response.status_code == 403
    assert b"You are not allowed to do that" in response.content
    output = console.getvalue()
    assert output.count("Forbidden (Permission denied): /dealer/team/") == 1, output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output


def test_a_missing_page_is_one_line_on_the_console(client, demo, console):
    client.get("/no-such-page/")
    output = console.getvalue()
    assert output.count("Not Found: /no-such-page/") == 1, output
    assert len(output.strip().splitlines()) == 1, output


def test_favicon_ico_is_the_portals_icon(client, demo):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"].endswith("img/favicon.svg")


def test_me_leads_to_the_preferences(client):
    client.force_login(DealerMemberFactory().user)
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"] == reverse("preferences")
    assert client.get(response["Location"]).status_code == 200
