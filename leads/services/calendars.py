"""Whose calendar a clock runs on: the owner's home country and region.

DESIGN.md counts a dealer's clock in the dealer's working days: a Belgian lead routed to
a Dutch dealer skips Dutch holidays, not Belgian ones, and a dealer in Bavaria has
Corpus Christi off where one in Hamburg works. Dealers and reps have a home country
and an optional region (``Dealer.home_country``/``region``, the same on
``StaffProfile``); an owner without one, and a queue, follow the lead's country.
"""

from collections.abc import Iterable

from dealers.models import Dealer
from portal.users.models import StaffProfile

Place = tuple[str, str]  # (country code, region such as "DE-BY" or "")


def owner_places(owners: Iterable[tuple[str, object]]) -> dict[tuple[str, object], Place]:
    """``{(kind, id): (country, region)}`` for the dealers and users among ``owners``
    that have a home country, in at most two queries."""
    owners = set(owners)
    dealer_ids = {pk for kind, pk in owners if kind == "dealer"}
    user_ids = {pk for kind, pk in owners if kind == "user"}
    places: dict[tuple[str, object], Place] = {}
    if dealer_ids:
        for pk, country, region in (
            Dealer.objects.filter(pk__in=dealer_ids)
            .exclude(home_country="")
            .values_list("pk", "home_country", "region")
        ):
            places["dealer", pk] = (country, region)
    if user_ids:
        for pk, country, region in (
            StaffProfile.objects.filter(user_id__in=user_ids)
            .exclude(home_country="")
            .values_list("user_id", "home_country", "region")
        ):
            places["user", pk] = (country, region)
    return places


def place_of(places: dict, kind: str, owner_id, lead_country) -> Place:
    """The calendar a stint of this owner runs on: the owner's place, else the lead's."""
    return places.get((kind, owner_id)) or (
        str(getattr(lead_country, "code", lead_country) or ""),
        "",
    )
