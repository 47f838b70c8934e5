"""Territory writes (``territory``: save with audit, share counters) and CSV import and
export (``csv_files``). Views import from here."""

from territories.services.csv_files import (
    CSV_COLUMNS,
    ImportReport,
    territories_export,
    territories_import_csv,
)
from territories.services.territory import (
    MAX_WEIGHT,
    OwnerSpec,
    SaveResult,
    format_postcode,
    format_ranges,
    owner_names,
    parse_ranges,
    postcode_bounds,
    territory_audit,
    territory_save,
    territory_shares_reset,
)

__all__ = [
    "CSV_COLUMNS",
    "MAX_WEIGHT",
    "ImportReport",
    "OwnerSpec",
    "SaveResult",
    "format_postcode",
    "format_ranges",
    "owner_names",
    "parse_ranges",
    "postcode_bounds",
    "territories_export",
    "territories_import_csv",
    "territory_audit",
    "territory_save",
    "territory_shares_reset",
]
