"""The staff forms of the leads app at the edges of their input: an out-of-office moment
the database cannot store (before the year 1 in UTC, as Amsterdam is ahead of it) is a
form error, not a 500 on saving (SQLite) or a stored year 0 that no later read can load
(PostgreSQL)."""

import pytest
from django.urls import reverse

from portal.users.models import Role
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("starts", "ends", "field"),
    [
        ("0001-01-01T00:00", "0001-01-02T00:00", "out_of_office_from"),
        ("", "0001-01-01T00:10", "out_of_office_until"),
    ],
)
def test_an_absence_outside_the_storable_years_is_a_form_error(client, starts, ends, field):
    rep = StaffFactory(role=Role.INTERNAL_SALES).user
    backup = StaffFactory(role=Role.INTERNAL_SALES).user
    client.force_login(rep)
    response = client.post(
        reverse("manage:my_ooo"),
        {"out_of_office_from": starts, "out_of_office_until": ends, "backup": backup.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    rep.staffprofile.refresh_from_db()
    assert rep.staffprofile.out_of_office_from is None


@pytest.fixture
def manager(client):
    user = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(user)
    return user


@pytest.mark.parametrize("htmx", [{}, {"HX-Request": "true", "HX-Target": "lookup-results"}])
@pytest.mark.parametrize("query", ["Bakker\x00", "x" * 201])
def test_the_lookup_says_why_it_cannot_search(client, manager, query, htmx):
    response = client.get(reverse("manage:lookup"), {"q": query}, headers=htmx)
    assert response.status_code == 200
    assert response.context["form"].errors["q"]
    assert 'id="lookup-errors"' in response.content.decode()


def test_the_reassign_filter_says_why_it_cannot_search(client, manager):
    response = client.get(reverse("manage:reassign"), {"q": "Bakker\x00", "owner": "nobody"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="invalid-feedback d-block"') == 2
