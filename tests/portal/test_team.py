"""A manager's team is exactly the people whose escalations reach them."""

import pytest

from leads.services.sla import store
from portal.users.models import Role
from portal.users.selectors import team_of
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_a_managers_team_is_whoever_the_sla_sweep_escalates_to_them():
    first, second = (StaffFactory(role=Role.SALES_MANAGER).user for _ in range(2))
    boss = StaffFactory(role=Role.CHANNEL_MANAGER).user
    gone = StaffFactory(role=Role.SALES_MANAGER, user__is_active=False).user
    people = [
        StaffFactory(role=Role.INTERNAL_SALES, manager=first).user,
        StaffFactory(role=Role.SENIOR_REP).user,  # reports to nobody
        StaffFactory(role=Role.INTERNAL_SALES, manager=boss).user,
        StaffFactory(role=Role.INTERNAL_SALES, manager=gone).user,
    ]
    managers = store.managers_of({p.pk for p in people})
    for person in people:
        recipients = managers.get(person.pk) or managers["sales_managers"]
        for manager in (first, second, boss):
            assert (person in team_of(manager)) == (manager in recipients), (person, manager)
    assert people[0] in team_of(first) and people[0] not in team_of(second)
