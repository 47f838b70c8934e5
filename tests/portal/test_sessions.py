"""A signed-in session ends a fixed time after signing in: SESSION_COOKIE_AGE (14 days)
for dealers, STAFF_SESSION_AGE (12 hours) for everyone who reaches the admin or a staff
page, whichever way they signed in."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse

from portal.users.models import Role
from portal.users.services import user_invite
from tests.factories import PASSWORD, DealerMemberFactory, StaffFactory, UserFactory
from tests.portal.test_settings import setting_values

pytestmark = pytest.mark.django_db

SIGNED_IN_AT = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
DAYS_14 = timedelta(days=14)
HOURS_12 = timedelta(hours=12)


@pytest.mark.parametrize(
    ("env", "ages"),
    [
        ({}, [14 * 24 * 3600, 12 * 3600]),
        ({"SESSION_COOKIE_AGE": "604800", "STAFF_SESSION_AGE": "28800"}, [604800, 28800]),
    ],
)
def test_the_ages_come_from_the_environment(env, ages):
    assert setting_values(["SESSION_COOKIE_AGE", "STAFF_SESSION_AGE"], **env) == ages


def sign_in(client, email, password=PASSWORD):
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302, response.content
    return response


def assert_session_ends(client, response, age):
    """The server's session and the browser's cookie both end ``age`` after signing in,
    and the next request after that is anonymous again."""
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == age.total_seconds()
    with time_machine.travel(SIGNED_IN_AT, tick=False):
        assert client.session.get_expiry_date() == SIGNED_IN_AT + age
    with time_machine.travel(SIGNED_IN_AT + age - timedelta(minutes=1), tick=False):
        assert client.get(reverse("home")).wsgi_request.user.is_authenticated
    with time_machine.travel(SIGNED_IN_AT + age + timedelta(minutes=1), tick=False):
        assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


@pytest.mark.parametrize("role", Role.dealer_roles())
def test_a_dealers_session_lasts_fourteen_days(client, role):
    user = DealerMemberFactory(role=role).user
    with time_machine.travel(SIGNED_IN_AT, tick=False):
        response = sign_in(client, user.email)
    assert_session_ends(client, response, DAYS_14)


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(lambda: StaffFactory(role=Role.CHANNEL_MANAGER).user, id="staff-profile"),
        pytest.param(lambda: UserFactory(is_staff=True), id="staff-status-ticked"),
        pytest.param(lambda: UserFactory(is_superuser=True), id="superuser"),
    ],
)
def test_a_staff_session_lasts_twelve_hours(client, make_user):
    user = make_user()
    with time_machine.travel(SIGNED_IN_AT, tick=False):
        response = sign_in(client, user.email)
    assert_session_ends(client, response, HOURS_12)


def test_a_staff_session_after_the_totp_step_lasts_twelve_hours(client, settings):
    settings.REQUIRE_STAFF_MFA = True
    user = StaffFactory(role=Role.SALES_MANAGER).user
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    with time_machine.travel(SIGNED_IN_AT, tick=False):
        response = sign_in(client, user.email)
        assert response["Location"] == reverse("mfa_authenticate")
        assert not client.get(reverse("home")).wsgi_request.user.is_authenticated
        code = format_hotp_value(hotp_value(secret, int(SIGNED_IN_AT.timestamp()) // 30))
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 302
        assert client.get(reverse("home")).status_code == 200
    assert_session_ends(client, response, HOURS_12)


def test_a_staff_session_from_an_invitation_link_lasts_twelve_hours(
    client, django_capture_on_commit_callbacks
):
    """Setting the password from the invitation (a password-reset link) signs in too."""
    inviter = StaffFactory(role=Role.CHANNEL_MANAGER).user
    with django_capture_on_commit_callbacks(execute=True):
        user = user_invite(email="new@example.com", name="New Colleague", invited_by=inviter)
    StaffFactory(user=user, role=Role.INTERNAL_SALES)
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/key/" in line
    )
    with time_machine.travel(SIGNED_IN_AT, tick=False):
        response = client.get(link.split("127.0.0.1:8000", 1)[1].strip())
        response = client.post(
            response["Location"],
            {"password1": "a-Good-passw0rd!", "password2": "a-Good-passw0rd!"},
        )
        assert response.status_code == 302
        assert client.get(reverse("home")).wsgi_request.user == user
    assert_session_ends(client, response, HOURS_12)


def test_the_login_form_asks_no_remember_me(client):
    assert b'name="remember"' not in client.get(reverse("account_login")).content
