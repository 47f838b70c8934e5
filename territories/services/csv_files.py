"""Territories as CSV: export them, and import a file that creates or replaces the
territories it names (validated line by line first; a file with any error changes
nothing). One line per territory with the columns of ``CSV_COLUMNS``; owners as
``dealer-slug=weight`` or ``user@e-mail=weight`` separated by semicolons. The export is
written by ``portal.exports`` (a name like ``=1+1`` gets a quote in front); the import
takes that quote off again."""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dealers.models import Dealer
from leads.matching.normalize import is_known_country
from portal.choices import Sector
from portal.exports import Sheet, spreadsheet_text
from portal.users.models import User
from territories.models import Territory
from territories.services.territory import (
    MAX_WEIGHT,
    OwnerSpec,
    _validate,
    format_ranges,
    parse_ranges,
    territory_save,
)

CSV_COLUMNS = ["name", "country", "sectors", "active", "postcodes", "owners", "notes"]
_LIST_SPLIT = re.compile(r"[;|\n]+")
_CODE_SPLIT = re.compile(r"[;,|\s]+")


def territories_export(territories) -> Sheet:
    """One line per territory: the columns of ``CSV_COLUMNS``; owners as
    ``dealer-slug=weight`` or ``user@e-mail=weight``. Import reads the same format."""
    rows = territories.prefetch_related("ranges", "owners__dealer", "owners__user").order_by(
        "country", "name"
    )
    lines = []
    for territory in rows:
        country = territory.country.code
        owners = "; ".join(
            f"{o.dealer.slug if o.dealer_id else o.user.email}={o.weight.normalize():f}"
            for o in sorted(
                territory.owners.all(), key=lambda o: (o.dealer_id is None, str(o.dealer or o.user))
            )
        )
        lines.append(
            [
                territory.name,
                country,
                "; ".join(territory.sectors or []),
                "yes" if territory.is_active else "no",
                format_ranges(country, [(r.start, r.end) for r in territory.ranges.all()]),
                owners,
                territory.notes,
            ]
        )
    return Sheet(headers=CSV_COLUMNS, rows=lines)


@dataclass
class ImportRow:
    line: int
    name: str
    country: str
    sectors: list[str]
    is_active: bool
    notes: str
    ranges: list[tuple[int, int]]
    owners: list[OwnerSpec]
    territory: Territory | None = None  # the one of that name, None: a new one


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[int, list[str]]] = field(default_factory=list)
    applied: bool = False
    # The file's lines as read (none when a line has an error), for the what-if preview.
    rows: list[ImportRow] = field(default_factory=list, repr=False)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.changed) + len(self.unchanged)


_TRUE = {"yes", "y", "1", "true", "ja", "j", "active", "x"}
_FALSE = {"no", "n", "0", "false", "nee", "nein", "inactive"}


def _read_csv(text: str) -> list[dict]:
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if reader.fieldnames is None:
        raise ValidationError(_("The file is empty."))
    reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames]
    missing = [c for c in ("name", "country") if c not in reader.fieldnames]
    if missing:
        raise ValidationError(
            _("The first line must name the columns; missing: %(columns)s. Expected: %(all)s")
            % {"columns": ", ".join(missing), "all": ", ".join(CSV_COLUMNS)}
        )
    return list(reader)


def _parse_owners(text: str, dealers: dict, users: dict) -> tuple[list[OwnerSpec], list[str]]:
    owners, errors = [], []
    for part in _LIST_SPLIT.split(text or ""):
        part = part.strip()
        if not part:
            continue
        key, _sep, weight_text = part.partition("=")
        key = key.strip()
        try:
            weight = Decimal((weight_text.strip() or "1").replace(",", "."))
        except InvalidOperation:
            errors.append(_("Owner %(owner)s: the weight must be a number.") % {"owner": key})
            continue
        if "@" in key:
            user = users.get(key.lower())
            if user is None:
                errors.append(_("No internal user with the e-mail %(email)s.") % {"email": key})
                continue
            owners.append(OwnerSpec("user", user, weight))
        else:
            dealer = dealers.get(key.lower())
            if dealer is None:
                errors.append(_("No dealer with the short name %(slug)s.") % {"slug": key})
                continue
            owners.append(OwnerSpec("dealer", dealer, weight))
    return owners, errors


def import_rows(*, text: str, allowed_countries=None) -> ImportReport:
    """Read and validate every line of ``text`` as ``territory_save`` would, writing
    nothing: the report's ``errors`` per line, or (none) its ``rows``, each with the
    territory of that name it replaces. Raises ``ValidationError`` for a file that is
    not a territory CSV at all."""
    report = ImportReport()
    rows = _read_csv(text)
    dealers = {slug.lower(): pk for pk, slug in Dealer.objects.values_list("pk", "slug")}
    users = {
        email.lower(): pk
        for pk, email in User.objects.filter(staffprofile__isnull=False).values_list("pk", "email")
    }
    existing = {t.name.lower(): t for t in Territory.objects.all()}
    parsed: list[ImportRow] = []
    names_seen: set[str] = set()
    for line, raw in enumerate(rows, start=2):
        values = {k: spreadsheet_text((v or "").strip()) for k, v in raw.items() if k}
        errors: list[str] = []
        name, country = values.get("name", ""), values.get("country", "").upper()
        if not name:
            errors.append(_("The name is required."))
        elif name.lower() in names_seen:
            errors.append(_("%(name)s appears twice in the file.") % {"name": name})
        names_seen.add(name.lower())
        if not is_known_country(country):
            errors.append(_("Unknown country code “%(code)s”.") % {"code": country})
        elif allowed_countries is not None and country not in allowed_countries:
            errors.append(_("You do not manage territories in %(code)s.") % {"code": country})
        sectors = [s.lower() for s in _CODE_SPLIT.split(values.get("sectors", "")) if s]
        if unknown := sorted(set(sectors) - set(Sector.values)):
            errors.append(_("Unknown sector(s): %(codes)s") % {"codes": ", ".join(unknown)})
        active_text = values.get("active", "").lower()
        if active_text and active_text not in _TRUE | _FALSE:
            errors.append(_("Active must be yes or no."))
        ranges: list[tuple[int, int]] = []
        if not errors or is_known_country(country):
            try:
                ranges = parse_ranges(values.get("postcodes", ""), country)
            except ValidationError as error:
                errors += error.messages
        owners, owner_errors = _parse_owners(values.get("owners", ""), dealers, users)
        errors += owner_errors
        if len({o.key for o in owners}) != len(owners):
            errors.append(_("Each owner can be listed only once."))
        if any(o.weight < 0 or o.weight > MAX_WEIGHT for o in owners):
            errors.append(_("Weights run from 0 to %(max)s.") % {"max": MAX_WEIGHT})
        territory = existing.get(name.lower())
        if (
            territory is not None
            and allowed_countries is not None
            and territory.country.code not in allowed_countries
        ):
            errors.append(
                _("You do not manage territories in %(code)s.") % {"code": territory.country.code}
            )
        if not errors:
            try:
                _validate(country=country, sectors=sectors, ranges=ranges, owners=owners)
            except ValidationError as error:
                errors += error.messages
        if errors:
            report.errors.append((line, errors))
            continue
        parsed.append(
            ImportRow(
                line=line,
                name=name,
                country=country,
                sectors=sectors,
                is_active=active_text not in _FALSE,
                notes=values.get("notes", ""),
                ranges=ranges,
                owners=owners,
                territory=territory,
            )
        )
    if not rows:
        report.errors.append((1, [_("The file has no territories.")]))
    if not report.errors:
        report.rows = parsed
    return report


def territories_import_csv(
    *, text: str, actor: User, apply: bool, allowed_countries=None
) -> ImportReport:
    """Validate every line (``import_rows``), then (when ``apply``) create or update the
    territories named in the file in one transaction: a file with any error changes
    nothing; without ``apply`` the saves are rolled back (what saving would do).

    A territory in the file gets exactly the file's fields, ranges and owners;
    territories not in the file are left alone. Preview the routing effect first with
    ``territories.services.preview.territories_import_preview``."""
    report = import_rows(text=text, allowed_countries=allowed_countries)
    if report.errors:
        return report
    with transaction.atomic():
        for row in report.rows:
            result = territory_save(
                territory=row.territory,
                actor=actor,
                name=row.name,
                country=row.country,
                sectors=row.sectors,
                is_active=row.is_active,
                notes=row.notes,
                ranges=row.ranges,
                owners=row.owners,
            )
            if result.created:
                report.created.append(row.name)
            elif result.changes:
                report.changed.append(row.name)
            else:
                report.unchanged.append(row.name)
        if not apply:
            transaction.set_rollback(True)
        else:
            report.applied = True
    return report
