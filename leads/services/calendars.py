"""Whose calendar a clock runs on: the owner's home country and region.

DESIGN.md counts a dealer's clock in the dealer's working days: a Belgian lead routed to
a Dutch dealer skips Dutch holidays, not Belgian ones, and a dealer in Bavaria has
Corpus Christi off where one in Hamburg works. Dealers and reps have a home country
and an optional region (``Dealer.home_country``/``region``, the same on
``StaffProfile``); an owner without one, and a queue, follow the lead's country.

Every owner's place is read once and kept with the routing world (``leads.world``,
which forgets it when a dealer or a staff profile is written), not read per lead.
"""

from collections.abc import Iterable

from dealers.models import Dealer
from leads import world
from portal.users.models import StaffProfile

Place = tuple[str, str]  # (country code, region such as "DE-BY" or "")


def owner_places(owners: Iterable[tuple[str, object]]) -> dict[tuple[str, object], Place]:
    """``{(kind, id): (country, region)}`` for the dealers and users among ``owners``
    that have a home country."""
    places = world.cached("owner-places", _all_places)
    return {owner: places[owner] for owner in set(owners) if owner in places}


def _all_places() -> dict[tuple[str, object], Place]:
    """Every dealer's and staff member's place, in two queries."""
    places: dict[tuple[str, object], Place] = {}
    for kind, calendars, key in (
        ("dealer", Dealer.objects, "pk"),
        ("user", StaffProfile.objects, "user_id"),
    ):
        rows = calendars.exclude(home_country="").values_list(key, "home_country", "region")
        places.update({(kind, pk): (country, region) for pk, country, region in rows})
    return places


def place_of(places: dict, kind: str, owner_id, lead_country) -> Place:
    """The calendar a stint of this owner runs on: the owner's place, else the lead's."""
    return places.get((kind, owner_id)) or (
        str(getattr(lead_country, "code", lead_country) or ""),
        "",
    )
