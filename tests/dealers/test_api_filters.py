"""The claims API's status filter at the edges of its input: a value it does not know
(a typo, a NUL, digits of other scripts) is a 400 naming the parameter, like the lead
API's filters, instead of quietly listing every claim."""

import pytest
from django.urls import reverse

from tests.dealers.test_api import claim_of, token_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["bogus", "active\x00", "²", "x" * 3000])
def test_an_unknown_status_is_a_400_naming_it(world, value):
    claim_of(world.mine)
    response = token_client(world.mine.user).get(reverse("api-claims"), {"status": value})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["status"]


@pytest.mark.parametrize(("value", "count"), [("", 1), ("active", 1), ("pending", 0)])
def test_the_known_statuses_and_none_still_list(world, value, count):
    claim_of(world.mine)
    response = token_client(world.mine.user).get(reverse("api-claims"), {"status": value})
    assert response.status_code == 200
    assert response.json()["count"] == count
