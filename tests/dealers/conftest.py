"""Fixtures for the dealer pages, claims and scorecards: two competing dealers with an
admin and a user each, a channel manager, and company data for claims."""

from dataclasses import dataclass

import pytest

from dealers.models import Dealer
from portal.users.models import Role, User
from tests.factories import DealerFactory, DealerMemberFactory, StaffFactory


@dataclass
class Side:
    dealer: Dealer
    admin: User
    user: User


@dataclass
class World:
    mine: Side
    theirs: Side
    channel_manager: User
    internal_sales: User


def side(name: str) -> Side:
    dealer = DealerFactory(name=name, countries=["NL"])
    return Side(
        dealer=dealer,
        admin=DealerMemberFactory(dealer=dealer, role=Role.DEALER_ADMIN).user,
        user=DealerMemberFactory(dealer=dealer, role=Role.DEALER_USER).user,
    )


@pytest.fixture
def world(db) -> World:
    return World(
        mine=side("Rijnmond Techniek B.V."),
        theirs=side("Concurrent Machines B.V."),
        channel_manager=StaffFactory(role=Role.CHANNEL_MANAGER).user,
        internal_sales=StaffFactory(role=Role.INTERNAL_SALES).user,
    )


def company(name: str = "Havenbedrijf Techniek B.V.", **fields) -> dict:
    return {"company_name": name, "country": "NL", "postcode": "3011 AB", **fields}
