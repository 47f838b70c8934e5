"""Keep the cached world (``leads.world``) in step with the rows it is built from: the
one mechanism (no service invalidates it by hand). Every model in ``ROUTING_WORLD``
sends ``post_save``/``post_delete`` per row and, through its ``SignalledQuerySet``
manager, ``rows_written`` for a queryset's ``update``/``bulk_create``."""

from django.db.models.signals import post_delete, post_save

from dealers.models import Dealer, DealerMembership
from leads.models import ApiKey, Integration, Policy, Queue, WebhookEndpoint
from leads.services.facts import routing_world_changed
from portal.db import rows_written
from portal.users.models import StaffProfile, User
from territories.models import PostcodeRange, Territory, TerritoryOwner

ROUTING_WORLD = (
    Dealer,
    DealerMembership,
    Territory,
    PostcodeRange,
    TerritoryOwner,
    StaffProfile,
    Policy,
    Queue,
    User,
    Integration,
    ApiKey,
    WebhookEndpoint,
)


# Writes that change nothing routing or notifications read (every sign-in saves
# last_login, every API request may touch its key's last_used_at) do not throw the
# cached world away.
IRRELEVANT = {"last_login", "password", "updated_at", "last_used_at", "failing_since"}


def saved(sender, update_fields=None, **kwargs) -> None:
    if update_fields and set(update_fields) <= IRRELEVANT:
        return
    routing_world_changed()


def written(sender, fields=None, **kwargs) -> None:
    if fields and fields <= IRRELEVANT:
        return
    routing_world_changed()


def connect() -> None:
    for model in ROUTING_WORLD:
        post_save.connect(saved, sender=model, dispatch_uid=f"routing-{model.__name__}")
        post_delete.connect(
            routing_world_changed, sender=model, dispatch_uid=f"routing-del-{model.__name__}"
        )
        rows_written.connect(written, sender=model, dispatch_uid=f"routing-rows-{model.__name__}")
