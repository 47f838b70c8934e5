"""The admin's change lists at the edges of their input: a filter value with a NUL
character (PostgreSQL refuses it) and a date-hierarchy year, month or day that no
stored moment has are "incorrect parameters" (a redirect to ``?e=1``), not a 500. A
search with a NUL is Django's own form error."""

import pytest
from django.contrib import admin

from portal.admin import PortalChangeList
from portal.users.models import Role
from tests.factories import StaffFactory
from tests.leads.pipeline_world import new_lead

pytestmark = pytest.mark.django_db
LEADS = "/admin/leads/lead/"


@pytest.fixture
def manager(client):
    user = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(user)
    new_lead()
    return user


@pytest.mark.parametrize(
    "params",
    [
        {"status__exact": "new\x00"},
        {"created_at__year": "9" * 30},
        {"created_at__year": "9999"},  # Django adds a year: 10000
        {"created_at__year": "9999", "created_at__month": "12", "created_at__day": "31"},
        {"created_at__year": "1"},  # before the year 1 in UTC
    ],
)
def test_an_unusable_value_is_incorrect_parameters(client, manager, params):
    response = client.get(LEADS, params)
    assert response.status_code == 302, response.status_code
    assert response["Location"] == f"{LEADS}?e=1"


def test_a_search_with_a_nul_character_is_a_message(client, manager):
    response = client.get(LEADS, {"q": "Prospect\x00"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


def test_the_search_filters_and_dates_still_work(client, manager):
    for params in ({"q": "Prospect"}, {"status__exact": "new"}, {"created_at__year": "2026"}):
        response = client.get(LEADS, params)
        assert response.status_code == 200, params


def test_every_admin_lists_through_the_portals_change_list(rf):
    request = rf.get(LEADS)
    for model, model_admin in admin.site._registry.items():
        assert model_admin.get_changelist(request) is PortalChangeList, model
