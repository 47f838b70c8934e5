"""A small world for the pipeline, page and API tests: two dealers with their own
territory, a dealer admin and two dealer users at the first, and leads made by the
real intake service (routed through the one door)."""

from dataclasses import dataclass

from dealers.models import Dealer
from leads.models import Lead
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from portal.users.models import Role, User
from tests.factories import DealerFactory, DealerMemberFactory, territory_with


@dataclass
class World:
    dealer: Dealer
    admin: User
    user: User
    colleague: User
    other_dealer: Dealer
    outsider: User

    def lead(self, *, postcode: str = "3011 AB", **fields) -> Lead:
        """A new lead; postcodes 3000-3099 route to ``dealer``, 3100-3199 to ``other_dealer``."""
        return new_lead(postcode=postcode, **fields)


def new_lead(*, postcode: str = "3011 AB", **fields) -> Lead:
    """A lead made by the real intake service (validated, matched, routed)."""
    counter = Lead.objects.count() + 1
    data = {
        "company_name": f"Prospect {counter} B.V.",
        "country": "NL",
        "postcode": postcode,
        "city": "Rotterdam",
        "contact_name": "Jan de Vries",
        "contact_email": f"jan{counter}@prospect{counter}.example",
        "contact_phone": "+31 10 123 4567",
        "interest": "demo",
        "estimated_value": "45000",
        **fields,
    }
    return lead_intake(data=clean_lead_fields(data), source=Lead.Source.API).lead


def make_world() -> World:
    dealer = DealerFactory(name="Rijnmond Techniek")
    other = DealerFactory(name="Maasstad Concurrent")
    admin = DealerMemberFactory(dealer=dealer, role=Role.DEALER_ADMIN, user__name="Anna Admin").user
    user = DealerMemberFactory(dealer=dealer, user__name="Bram Verkoper").user
    colleague = DealerMemberFactory(dealer=dealer, user__name="Cees Collega").user
    outsider = DealerMemberFactory(dealer=other, user__name="Olga Outsider").user
    territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(dealer, 1)])
    territory_with(name="NL Maasstad", ranges=[(3100, 3199)], owners=[(other, 1)])
    for person in (admin, user, colleague, outsider):
        person.refresh_from_db()
    return World(dealer, admin, user, colleague, other, outsider)
