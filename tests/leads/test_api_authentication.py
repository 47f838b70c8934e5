"""API keys: failed checks are throttled per client address."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leads.api.authentication import ApiKeyFailureThrottle
from leads.models import Integration, Lead
from leads.services.api_keys import api_key_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/leads/"
LEAD = {"company_name": "Havenbedrijf B.V.", "country": "NL", "contact_email": "a@haven.example"}
MOMENT = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)


@pytest.fixture
def key():
    integration = Integration.objects.create(name="Website", kind=Integration.Kind.WEB_FORM)
    return api_key_create(name="site", integration=integration)[1]


def post(client, key, address="203.0.113.7", **extra):
    return client.post(
        URL,
        LEAD,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
        REMOTE_ADDR=address,
        **extra,
    )


def wrong_keys(client, count, address="203.0.113.7", **extra):
    return [post(client, f"dp_{n:012x}.guess", address, **extra).status_code for n in range(count)]


def test_after_the_allowed_failures_an_address_gets_429_even_with_the_right_key(client, key):
    allowed = ApiKeyFailureThrottle().num_requests
    with time_machine.travel(MOMENT, tick=False) as clock:
        assert wrong_keys(client, allowed) == [401] * allowed
        refused = post(client, key)
        assert refused.status_code == 429
        assert refused.json()["detail"].startswith("Request was throttled")
        assert 0 < int(refused["Retry-After"]) <= 60
        assert wrong_keys(client, 1) == [429]
        # another address with the right key works
        assert post(client, key, address="198.51.100.4").status_code == 201
        # once the window has passed, the right key works again from the first address
        clock.shift(timedelta(seconds=61))
        assert post(client, key).status_code == 200
    assert Lead.objects.count() == 1


def test_right_keys_are_not_counted(client, key):
    allowed = ApiKeyFailureThrottle().num_requests
    with time_machine.travel(MOMENT, tick=False):
        for n in range(allowed + 5):
            assert post(client, key).status_code in (200, 201), n


def test_a_forged_forwarded_address_does_not_reset_the_count(client, key):
    """Without trusted proxies (the default) the address is the connection's own."""
    allowed = ApiKeyFailureThrottle().num_requests
    with time_machine.travel(MOMENT, tick=False):
        for n in range(allowed):
            forged = {"HTTP_X_FORWARDED_FOR": f"10.0.0.{n}"}
            assert wrong_keys(client, 1, **forged) == [401]
        assert post(client, key, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_a_trusted_proxy_clients_are_told_apart_by_the_forwarded_address(
    client, key, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    allowed = ApiKeyFailureThrottle().num_requests
    proxy = "10.0.0.1"
    with time_machine.travel(MOMENT, tick=False):
        guesser = {"HTTP_X_FORWARDED_FOR": "203.0.113.66"}
        assert wrong_keys(client, allowed, proxy, **guesser) == [401] * allowed
        assert post(client, key, proxy, **guesser).status_code == 429
        # a client can prepend what it likes; the proxy's own entry is the last one
        spoofed = {"HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.66"}
        assert post(client, key, proxy, **spoofed).status_code == 429
        other = {"HTTP_X_FORWARDED_FOR": "198.51.100.4"}
        assert post(client, key, proxy, **other).status_code == 201
