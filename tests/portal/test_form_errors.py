"""Form errors are tied to their fields on every form of every page of every role: the
field has ``aria-invalid="true"`` and an ``aria-describedby`` that names its error
text, and every error text is named by a field, so a screen reader reads the error
with the field.

Each page the walk finds (tests/pages.py) is read; each form on it is sent with every
field left empty (POST) or holding a NUL (GET, which filter forms refuse), inside a
savepoint that is rolled back. Every page that answers shows its errors the same way."""

from datetime import datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.urls import Resolver404, resolve

from tests.pages import ROLES, Elements, pages, role_world, untied_errors
from tests.test_url_walk import SKIP

pytestmark = pytest.mark.django_db

# A working Thursday morning: the pages take the same paths whatever day the suite runs.
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
# Forms whose errors must be seen, so the test cannot pass by finding none.
MUST_SHOW_ERRORS = {
    "visitor": {"/accounts/login/", "/accounts/password/reset/", "/inbound/"},
    "dealer admin": {
        "/dealer/team/",
        "/dealer/claims/",
        "/leads/send/",
        "/accounts/password/change/",
    },
    "dealer user": {"/dealer/claims/"},
    "channel manager": {"/manage/territories/new/", "/manage/dealers/new/"},
    "sales manager": set(),
    "internal sales": set(),
}


def send(client, url: str, form: dict):
    """The form with every field left empty (POST) or holding a NUL (GET), rolled back."""
    sid = transaction.savepoint()
    try:
        if form["method"] == "post":
            return client.post(url, {**form["hidden"], **dict.fromkeys(form["fields"], "")})
        return client.get(url, dict.fromkeys(form["fields"], "\x00"))
    finally:
        transaction.savepoint_rollback(sid)


def skipped(url: str) -> bool:
    """Forms that sign out or switch the language."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return True
    return (match.url_name or "") in SKIP


@pytest.mark.parametrize("role", ROLES)
def test_every_form_ties_its_errors_to_their_fields(client, role):
    with time_machine.travel(NOW, tick=False):
        world = role_world()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        problems, with_errors, sent = [], set(), 0
        for page_url in pages(client, world, role).values():
            page = client.get(page_url)
            problems += [f"{page_url}: {p}" for p in untied_errors(page.content.decode())]
            for form in Elements(page.content.decode()).forms:
                url = urljoin(page_url, form["action"] or page_url)
                if skipped(url):
                    continue
                response = send(client, url, form)
                sent += 1
                if "text/html" not in response["Content-Type"]:
                    continue
                html = response.content.decode()
                if "invalid-feedback" in html:
                    with_errors.add(page_url)
                problems += [f"{form['method'].upper()} {url}: {p}" for p in untied_errors(html)]
    assert sent, "no form was sent"
    assert MUST_SHOW_ERRORS[role] <= with_errors, sorted(with_errors)
    assert not problems, "\n".join(problems)
