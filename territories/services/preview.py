"""What a territory edit would do to routing before it is saved: the last N leads
replayed with the territory as typed (``dealers.allocation.routing_change_preview``).
Validates like ``territory_save`` and writes nothing. Not re-exported by
``territories.services`` (``dealers.allocation`` imports that package): import it from
here."""

from datetime import datetime

from dealers.allocation import PREVIEW_DEFAULT, Preview, routing_change_preview, with_territory
from dealers.allocation.whatif import NEW_TERRITORY_ID
from leads import routing
from territories.models import Territory
from territories.services.territory import OwnerSpec, _validate


def territory_preview(
    *,
    territory: Territory | None,
    name: str,
    country: str,
    sectors: list[str],
    is_active: bool,
    ranges: list[tuple[int, int]],
    owners: list[OwnerSpec],
    limit: int = PREVIEW_DEFAULT,
    now: datetime | None = None,
) -> Preview:
    """The last ``limit`` leads routed as things are and with ``territory`` (None: a new
    one) having these ranges, sectors, owners and weights, active or not. Raises
    ``ValidationError`` as ``territory_save`` would for the same values."""
    country = (country or "").upper()
    _validate(country=country, sectors=sectors, ranges=ranges, owners=owners)
    proposed = routing.TerritoryFacts(
        id=territory.pk if territory is not None else NEW_TERRITORY_ID,
        name=name.strip(),
        country=country,
        ranges=tuple(sorted(ranges)),
        sectors=frozenset(sectors),
        owners=tuple(routing.TerritoryOwnerFacts(o.kind, o.id, float(o.weight)) for o in owners),
    )
    return routing_change_preview(
        lambda context: with_territory(context, proposed, active=is_active),
        limit=limit,
        now=now,
    )
