"""The territory list's name search and country filter at the edges of their input: a
NUL character or an over-long name is a form error, never a database error (PostgreSQL
refuses NUL in text)."""

import pytest
from django.urls import reverse

from portal.users.models import Role
from tests.factories import DealerFactory, StaffFactory, territory_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(user)
    territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(DealerFactory(), 1)])
    territory_with(name="BE Antwerpen", country="BE", ranges=[(2000, 2099)])
    return user


def names(response) -> list[str]:
    return [territory.name for territory in response.context["territories"]]


@pytest.mark.parametrize("query", ["Rijn\x00", "x" * 121])
def test_an_unusable_name_search_is_a_form_error(client, manager, query):
    response = client.get(reverse("manage:territories"), {"q": query})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]
    assert 'class="invalid-feedback' in response.content.decode()
    assert names(response) == ["BE Antwerpen", "NL Rijnmond"]


def test_the_search_and_country_filter_still_narrow_the_list(client, manager):
    url = reverse("manage:territories")
    assert names(client.get(url, {"q": "rijn"})) == ["NL Rijnmond"]
    assert names(client.get(url, {"country": "be"})) == ["BE Antwerpen"]
    assert names(client.get(url, {"country": "XX\x00"})) == ["BE Antwerpen", "NL Rijnmond"]
