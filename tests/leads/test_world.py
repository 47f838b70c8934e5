"""The routing world cache has one way to be invalidated (``leads.world``'s docstring):
the signals of ``leads.signals`` for every model it reads, whatever way a row is written
(save, delete, a queryset's update or bulk_create), once more at each commit."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dealers.allocation import weight_override_set
from dealers.models import Dealer, DealerMembership
from leads import world
from leads.models import ApiKey, Integration, Policy, Queue, WebhookEndpoint
from leads.services import access_grants, facts, webhooks
from leads.services.api_keys import api_key_check, api_key_create
from leads.services.routing.notify import dealer_members
from leads.signals import ROUTING_WORLD
from portal.users.models import Role, StaffProfile, User
from territories.models import PostcodeRange, Territory, TerritoryOwner
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory, territory_with

pytestmark = pytest.mark.django_db

# Tables the world reads that no page or service writes while the portal runs: Django's
# permissions and content types (migrations), and the groups each dealer and role has.
WRITTEN_ONLY_BY_MIGRATIONS = {"auth_permission", "django_content_type", "auth_group"}


@pytest.fixture
def everything():
    dealer = DealerFactory()
    member = DealerMemberFactory(dealer=dealer)
    rep = StaffFactory(role=Role.INTERNAL_SALES)
    territory = territory_with(name="NL 30", ranges=[(3000, 3099)], owners=[(dealer, 1)])
    integration = Integration.objects.create(name="Site", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="site", integration=integration)
    return {
        Dealer: dealer,
        DealerMembership: member,
        User: rep.user,
        StaffProfile: rep,
        Territory: territory,
        PostcodeRange: territory.ranges.get(),
        TerritoryOwner: territory.owners.get(),
        Policy: Policy.current(),
        Queue: Queue.objects.get(pk=Queue.POOL),
        Integration: integration,
        ApiKey: ApiKey.objects.get(integration=integration),
        WebhookEndpoint: WebhookEndpoint.objects.create(
            dealer=dealer, url="https://erp.example.com/in", events=["lead.assigned"]
        ),
        "secret": secret,
    }


def read_the_whole_world(everything) -> None:
    facts.build_context()
    Policy.current()
    access_grants.permission_ids()
    access_grants.dealer_groups()
    dealer_members(everything[Dealer].pk)
    api_key_check(everything["secret"])
    webhooks.subscribers()


def test_every_table_the_world_reads_belongs_to_a_model_that_invalidates_it(everything):
    world.reset()
    with CaptureQueriesContext(connection) as queries:
        read_the_whole_world(everything)
    tables = {
        name
        for query in queries.captured_queries
        for name in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"])
    }
    covered = {model._meta.db_table for model in ROUTING_WORLD}
    known = {model._meta.db_table for model in apps.get_models()}
    assert tables <= known | WRITTEN_ONLY_BY_MIGRATIONS
    assert tables - WRITTEN_ONLY_BY_MIGRATIONS <= covered, "add the model to ROUTING_WORLD"


def changes_the_version(write) -> bool:
    before = world.version()
    write()
    world._state["checked"] = 0.0
    return world.version() != before


# A field of each model that routing or notifications read.
READ_FIELD = {
    Dealer: "status",
    DealerMembership: "role",
    User: "is_active",
    StaffProfile: "role",
    Territory: "is_active",
    PostcodeRange: "end",
    TerritoryOwner: "weight",
    Policy: "enterprise_threshold",
    Queue: "name",
    Integration: "is_active",
    ApiKey: "revoked_at",
    WebhookEndpoint: "is_active",
}


@pytest.mark.parametrize("model", ROUTING_WORLD, ids=lambda m: m.__name__)
def test_a_save_an_update_and_a_delete_of_each_model_invalidate_the_world(everything, model):
    row = everything[model]
    field = READ_FIELD[model]
    value = getattr(row, field)
    assert changes_the_version(lambda: row.save())
    assert changes_the_version(lambda: model.objects.filter(pk=row.pk).update(**{field: value}))
    if model not in (Policy, Queue, User):  # rows the portal never deletes
        assert changes_the_version(lambda: model.objects.filter(pk=row.pk).delete())


def test_bulk_creates_invalidate_the_world(everything):
    territory = everything[Territory]
    assert changes_the_version(
        lambda: PostcodeRange.objects.bulk_create(
            [PostcodeRange(territory=territory, start=4000, end=4099)]
        )
    )


def test_writes_that_routing_does_not_read_keep_the_world(everything):
    user = everything[User]
    assert not changes_the_version(
        lambda: User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    )
    key = everything[ApiKey]
    assert not changes_the_version(
        lambda: ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    )


def commit_bumps() -> int:
    """The commit bumps this (never committed) test transaction has waiting."""
    return sum(
        1 for _sids, func, _robust in connection.run_on_commit if func is world._bump_at_commit
    )


def test_one_weight_change_bumps_once_at_commit(everything):
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    with transaction.atomic():
        weight_override_set(
            dealer=everything[Dealer],
            actor=manager,
            weight=Decimal("1.5"),
            until=timezone.localdate() + timedelta(days=30),
            reason="Launch support",
        )
        Dealer.objects.filter(pk=everything[Dealer].pk).update(name="Renamed")
    assert commit_bumps() == 1


def test_a_commit_bump_in_a_rolled_back_savepoint_is_scheduled_again(everything):
    dealer = everything[Dealer]
    connection.run_on_commit.clear()  # as if the set-up had committed
    try:
        with transaction.atomic():
            dealer.save()
            raise RuntimeError
    except RuntimeError:
        pass
    assert commit_bumps() == 0
    dealer.save()
    assert commit_bumps() == 1
