"""Territory writes: save a territory with its postcode ranges, sectors and owners
(the edit page and the CSV import both end here).

Every change is audited (``portal.audit.services.audit_log``): an admin ``LogEntry`` on
the territory, copied into an immutable ``ChangeEvent`` that the territory page shows and
that outlives its author, in the admin's structured change-message format so it reads in
each viewer's language. When the owners or their weights change, the
territory's weighted-share counters (``leads.ShareCounter`` rows of the scopes
``territory:<id>`` and ``sector:<id>:<sector>``) are reset, so the new split converges
from the next lead instead of first paying back the old counts. Saving the rows
invalidates the cached routing world through the signals of ``leads.signals``, once
more at commit (``leads.world``); nothing here bumps it by hand.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.admin.models import ADDITION, CHANGE
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from dealers.models import Dealer
from leads.matching.normalize import POSTCODE_DIGITS, is_known_country
from leads.models import ShareCounter
from leads.services.routing import LOCK_OWNER
from portal.audit.models import ChangeEvent
from portal.audit.services import audit_log, audit_of
from portal.choices import Sector
from portal.messages import interpolate
from portal.users.models import User
from territories.models import PostcodeRange, Territory, TerritoryOwner

MAX_WEIGHT = Decimal("999.99")
_RANGE = re.compile(r"^\s*(\d{1,6})\s*(?:[-–]\s*(\d{1,6}))?\s*$")


# --- values --------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerSpec:
    """One owner of a territory: ``kind`` "dealer" or "user", its id and its weight."""

    kind: str
    id: int
    weight: Decimal

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


def postcode_bounds(country: str) -> tuple[int, int] | None:
    """The routing numbers a country's postcodes can have (None: not routed by postcode)."""
    digits = POSTCODE_DIGITS.get((country or "").upper())
    if digits is None:
        return None
    return (1000, 10**digits - 1)


def format_postcode(country: str, number: int) -> str:
    digits = POSTCODE_DIGITS.get((country or "").upper())
    return f"{number:0{digits}d}" if digits else str(number)


def format_ranges(country: str, ranges) -> str:
    return "; ".join(
        format_postcode(country, start)
        if start == end
        else f"{format_postcode(country, start)}-{format_postcode(country, end)}"
        for start, end in ranges
    )


def parse_ranges(text: str, country: str) -> list[tuple[int, int]]:
    """ "3000-3099; 3100-3199" (also commas, spaces or one per line; a single postcode
    is a range of one) → sorted ranges. Raises ``ValidationError`` with every problem."""
    bounds = postcode_bounds(country)
    ranges: list[tuple[int, int]] = []
    errors: list[str] = []
    for part in re.split(r"[;,|\n]+", text or ""):
        if not part.strip():
            continue
        match = _RANGE.match(part)
        if not match:
            errors.append(_("“%(part)s” is not a postcode range like 3000-3099.") % {"part": part})
            continue
        start = int(match.group(1))
        end = int(match.group(2) or match.group(1))
        if end < start:
            errors.append(_("%(part)s: the range must end at or after its start.") % {"part": part})
            continue
        if bounds is None:
            errors.append(
                _("%(country)s is routed by country only; leave the postcodes empty.")
                % {"country": country}
            )
            break
        if start < bounds[0] or end > bounds[1]:
            errors.append(
                _("%(part)s: postcodes in %(country)s run from %(low)s to %(high)s.")
                % {
                    "part": part.strip(),
                    "country": country,
                    "low": format_postcode(country, bounds[0]),
                    "high": format_postcode(country, bounds[1]),
                }
            )
            continue
        ranges.append((start, end))
    ranges.sort()
    for (s1, e1), (s2, e2) in zip(ranges, ranges[1:], strict=False):
        if s2 <= e1:
            errors.append(
                _("The ranges %(a)s and %(b)s overlap; merge them.")
                % {"a": format_ranges(country, [(s1, e1)]), "b": format_ranges(country, [(s2, e2)])}
            )
    if errors:
        raise ValidationError(errors)
    return ranges


def _owner_label(kind: str, pk: int, names: dict) -> str:
    return names.get((kind, pk)) or f"{kind} #{pk}"


# --- saving --------------------------------------------------------------------------


@dataclass
class SaveResult:
    territory: Territory
    created: bool
    changes: list = field(default_factory=list)  # admin change-message items
    shares_reset: bool = False

    @property
    def changed(self) -> bool:
        return self.created or bool(self.changes)


def territory_shares_reset(*, territory_id: int) -> int:
    """Forget the leads counted per owner in this territory's share scopes; returns the
    number of counter rows removed. Locks the scopes' lock rows first, so no lead being
    routed into the territory at this moment counts against the new split."""
    scopes = Q(scope=f"territory:{territory_id}") | Q(scope__startswith=f"sector:{territory_id}:")
    with transaction.atomic():
        list(ShareCounter.objects.select_for_update().filter(scopes, owner=LOCK_OWNER))
        deleted, _detail = ShareCounter.objects.filter(scopes).exclude(owner=LOCK_OWNER).delete()
    return deleted


def territory_save(
    *,
    territory: Territory | None,
    actor: User,
    name: str,
    country: str,
    sectors: list[str],
    is_active: bool,
    notes: str,
    ranges: list[tuple[int, int]],
    owners: list[OwnerSpec],
) -> SaveResult:
    """Create or update a territory with exactly these ranges and owners, audit what
    changed, and reset the share counters when owners or weights changed."""
    country = (country or "").upper()
    _validate(country=country, sectors=sectors, ranges=ranges, owners=owners)
    created = territory is None
    clash = Territory.objects.filter(name__iexact=name.strip())
    if not created:
        clash = clash.exclude(pk=territory.pk)
    if clash.exists():
        raise ValidationError(
            {
                "name": interpolate(
                    _("Another territory is already called %(name)s."), {"name": name}
                )
            }
        )
    try:
        with transaction.atomic():
            if created:
                territory = Territory(name=name, country=country)
                before = None
            else:
                territory = Territory.objects.select_for_update().get(pk=territory.pk)
                before = {
                    "name": territory.name,
                    "country": territory.country.code,
                    "sectors": sorted(territory.sectors or []),
                    "is_active": territory.is_active,
                    "notes": territory.notes,
                }
            after = {
                "name": name.strip(),
                "country": country,
                "sectors": sorted(set(sectors)),
                "is_active": is_active,
                "notes": notes or "",
            }
            for attr, value in after.items():
                setattr(territory, attr, value)
            changes: list = []
            if before is not None:
                changed_fields = [
                    str(Territory._meta.get_field(attr).verbose_name)
                    for attr in after
                    if before[attr] != after[attr]
                ]
                if changed_fields:
                    changes.append({"changed": {"fields": changed_fields}})
            if created or changes:
                territory.save()
            changes += _save_ranges(territory, ranges)
            owner_changes = _save_owners(territory, owners)
            changes += owner_changes
            result = SaveResult(territory=territory, created=created, changes=changes)
            if owner_changes and not created:
                territory_shares_reset(territory_id=territory.pk)
                result.shares_reset = True
            if created:
                audit_log(actor, territory, ADDITION, [{"added": {}}, *changes])
            elif changes:
                audit_log(actor, territory, CHANGE, changes)
    except IntegrityError as error:  # the same name saved at the same moment
        raise ValidationError(
            {
                "name": interpolate(
                    _("Another territory is already called %(name)s."), {"name": name}
                )
            }
        ) from error
    return result


def _validate(*, country, sectors, ranges, owners) -> None:
    errors: dict[str, list[str]] = {}
    if not is_known_country(country):
        errors.setdefault("country", []).append(_("Choose a country."))
    unknown = sorted(set(sectors) - set(Sector.values))
    if unknown:
        errors.setdefault("sectors", []).append(
            _("Unknown sector(s): %(codes)s") % {"codes": ", ".join(unknown)}
        )
    if ranges and postcode_bounds(country) is None:
        errors.setdefault("ranges", []).append(
            _("%(country)s is routed by country only; leave the postcodes empty.")
            % {"country": country}
        )
    seen = set()
    for owner in owners:
        if owner.key in seen:
            errors.setdefault("owners", []).append(_("Each owner can be listed only once."))
        seen.add(owner.key)
        if owner.weight < 0 or owner.weight > MAX_WEIGHT:
            errors.setdefault("owners", []).append(
                _("Weights run from 0 to %(max)s.") % {"max": MAX_WEIGHT}
            )
    if errors:
        raise ValidationError(errors)


def _save_ranges(territory: Territory, ranges: list[tuple[int, int]]) -> list:
    country = territory.country.code
    name = str(PostcodeRange._meta.verbose_name)
    existing = {(r.start, r.end): r for r in territory.ranges.all()}
    wanted = set(ranges)
    changes = []
    for bounds, row in sorted(existing.items()):
        if bounds not in wanted:
            row.delete()
            changes.append({"deleted": {"name": name, "object": format_ranges(country, [bounds])}})
    for bounds in sorted(wanted - set(existing)):
        PostcodeRange.objects.create(territory=territory, start=bounds[0], end=bounds[1])
        changes.append({"added": {"name": name, "object": format_ranges(country, [bounds])}})
    return changes


def _save_owners(territory: Territory, owners: list[OwnerSpec]) -> list:
    name = str(TerritoryOwner._meta.verbose_name)
    rows = {
        ("dealer", o.dealer_id) if o.dealer_id else ("user", o.user_id): o
        for o in territory.owners.select_related("dealer", "user")
    }
    names = owner_names([o.key for o in owners] + list(rows))
    wanted = {o.key: o for o in owners}
    changes = []
    for key, row in rows.items():
        label = _owner_label(*key, names)
        if key not in wanted:
            row.delete()
            changes.append({"deleted": {"name": name, "object": f"{label} ({row.weight})"}})
        elif wanted[key].weight != row.weight:
            old = row.weight
            row.weight = wanted[key].weight
            row.save(update_fields=["weight"])
            changes.append(
                {
                    "changed": {
                        "name": name,
                        "object": f"{label}: {old} → {row.weight}",
                        "fields": [str(TerritoryOwner._meta.get_field("weight").verbose_name)],
                    }
                }
            )
    for key, spec in wanted.items():
        if key in rows:
            continue
        TerritoryOwner.objects.create(
            territory=territory,
            dealer_id=spec.id if spec.kind == "dealer" else None,
            user_id=spec.id if spec.kind == "user" else None,
            weight=spec.weight,
        )
        label = _owner_label(*key, names)
        changes.append({"added": {"name": name, "object": f"{label} ({spec.weight})"}})
    return changes


def owner_names(keys) -> dict[tuple[str, int], str]:
    dealer_ids = [pk for kind, pk in keys if kind == "dealer"]
    user_ids = [pk for kind, pk in keys if kind == "user"]
    names = {
        ("dealer", pk): n
        for pk, n in Dealer.objects.filter(pk__in=dealer_ids).values_list("pk", "name")
    }
    names |= {
        ("user", pk): n for pk, n in User.objects.filter(pk__in=user_ids).values_list("pk", "name")
    }
    return names


def territory_audit(territory: Territory, *, limit: int = 30) -> list[ChangeEvent]:
    """The latest audited changes of a territory, newest first (one query)."""
    return audit_of(territory, limit=limit)
