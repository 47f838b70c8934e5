"""Rate limits count per client address. Behind ``TRUSTED_PROXY_COUNT`` proxies of our
own the client is read from X-Forwarded-For; without any, the header is ignored."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.portal.test_settings import setting_values

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"  # the TLS-terminating proxy every visitor comes through
FAILED_LOGINS_PER_ADDRESS = 10  # ACCOUNT_RATE_LIMITS["login_failed"]: 10/m/ip
REFUSED = b"Too many failed login attempts"


def log_in(client, email, password, **headers):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        **headers,
    )


def guess_passwords(client, **headers):
    """Wrong passwords for as many different accounts as one address may try."""
    for n in range(FAILED_LOGINS_PER_ADDRESS):
        response = log_in(client, f"victim{n}@example.com", "wrong", **headers)
        assert REFUSED not in response.content, n


def test_behind_one_proxy_each_visitor_has_their_own_login_budget(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    user = UserFactory(email="eva@example.com")
    guesser = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    guess_passwords(client, **guesser)
    assert REFUSED in log_in(client, "victim@example.com", "wrong", **guesser).content
    # Entries before the one our proxy appended are the visitor's own: no way out.
    forged = {"HTTP_X_FORWARDED_FOR": "198.51.100.9, 203.0.113.5"}
    assert REFUSED in log_in(client, "victim@example.com", "wrong", **forged).content

    colleague = {"HTTP_X_FORWARDED_FOR": "203.0.113.6"}
    response = log_in(client, user.email, PASSWORD, **colleague)
    assert response.status_code == 302
    assert response.wsgi_request.user == user


def test_without_trusted_proxies_a_forged_forwarded_for_gives_no_fresh_login_budget(
    client, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    UserFactory(email="eva@example.com")
    guess_passwords(client, HTTP_X_FORWARDED_FOR="198.51.100.1")
    forged = {"HTTP_X_FORWARDED_FOR": "198.51.100.2"}
    response = log_in(client, "eva@example.com", PASSWORD, **forged)
    assert REFUSED in response.content
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize(("env", "count"), [({}, 0), ({"TRUSTED_PROXY_COUNT": "1"}, 1)])
def test_the_proxy_count_comes_from_the_environment(env, count):
    names = ["TRUSTED_PROXY_COUNT", "ALLAUTH_TRUSTED_PROXY_COUNT"]
    assert setting_values(names, **env) == [count, count]
