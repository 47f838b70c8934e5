"""What a territory edit or a territory CSV import would do to routing before it is
saved: the last N leads replayed with the territories as typed or as the file has them
(``dealers.allocation.routing_change_preview``). Validates like ``territory_save`` and
``territories_import_csv`` and writes nothing. Not re-exported by
``territories.services`` (``dealers.allocation`` imports that package): import it from
here (the territory forms take the preview's lead counts from here too)."""

from datetime import datetime

from django.db.models import Max

from dealers.allocation import (
    PREVIEW_DEFAULT,
    PREVIEW_MAX,
    Preview,
    routing_change_preview,
    with_territory,
)
from dealers.allocation.whatif import NEW_TERRITORY_ID
from leads import routing
from portal.users.models import User
from territories.models import Territory
from territories.services.csv_files import ImportReport, ImportRow, territories_import_csv
from territories.services.territory import OwnerSpec, _validate

__all__ = [
    "PREVIEW_DEFAULT",
    "PREVIEW_MAX",
    "import_preview",
    "territories_import_preview",
    "territory_preview",
]


def _facts(
    pk: int, name: str, country: str, sectors, ranges, owners: list[OwnerSpec]
) -> routing.TerritoryFacts:
    return routing.TerritoryFacts(
        id=pk,
        name=name.strip(),
        country=country,
        ranges=tuple(sorted(ranges)),
        sectors=frozenset(sectors),
        owners=tuple(routing.TerritoryOwnerFacts(o.kind, o.id, float(o.weight)) for o in owners),
    )


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
    proposed = _facts(
        territory.pk if territory is not None else NEW_TERRITORY_ID,
        name,
        country,
        sectors,
        ranges,
        owners,
    )
    return routing_change_preview(
        lambda context: with_territory(context, proposed, active=is_active),
        limit=limit,
        now=now,
    )


def import_preview(
    rows: list[ImportRow], *, limit: int = PREVIEW_DEFAULT, now: datetime | None = None
) -> Preview:
    """The last ``limit`` leads routed as things are and with every territory of an
    import file (``ImportReport.rows``) at once: each replaces the one of its name
    (ranges, sectors, owners, weights, active or not) or is added. New territories get
    ids after today's highest, in the file's order, as saving them would give them:
    routing breaks ties between equally narrow territories by id."""
    highest = Territory.objects.aggregate(highest=Max("pk"))["highest"] or 0
    proposed = []
    new = 0
    for row in rows:
        if row.territory is not None:
            pk = row.territory.pk
        else:
            new += 1
            pk = highest + new
        facts = _facts(pk, row.name, row.country, row.sectors, row.ranges, row.owners)
        proposed.append((facts, row.is_active))

    def change(context: routing.RoutingContext) -> routing.RoutingContext:
        for facts, active in proposed:
            context = with_territory(context, facts, active=active)
        return context

    return routing_change_preview(change, limit=limit, now=now)


def territories_import_preview(
    *,
    text: str,
    actor: User,
    allowed_countries=None,
    limit: int = PREVIEW_DEFAULT,
    now: datetime | None = None,
) -> tuple[ImportReport, Preview | None]:
    """What importing ``text`` would do: the check (``territories_import_csv`` without
    apply: new, changed and unchanged territories, or the lines with errors) and, for a
    file without errors, the routing preview of all its territories at once (None for
    a file with errors). Writes nothing."""
    report = territories_import_csv(
        text=text, actor=actor, apply=False, allowed_countries=allowed_countries
    )
    if report.errors:
        return report, None
    return report, import_preview(report.rows, limit=limit, now=now)
