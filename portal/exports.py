"""Every CSV and XLSX file the portal hands out is written here: the lead lists, the
dealer scorecards, the territories, the rejection reasons and the import's example
file. One writer, so one rule keeps them all safe to open in a spreadsheet.

The rule (OWASP, "CSV injection"): anyone can send a lead named
``=HYPERLINK("http://evil.example","x")``, and a spreadsheet runs a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula. Such a text cell gets
a single quote in front, ``'=HYPERLINK(...)``, so it shows as the text it is. The XLSX
holds the same text, as a text cell (never a formula), so a sheet saved again as CSV
stays harmless.

- Numbers, decimals, dates and booleans stay what they are: numbers and dates in XLSX,
  unchanged in CSV (the number -5 is a number; the text ``"-5 cmd"`` gets the quote).
- Every other value is written as its text (a lazy translation, a model) and checked
  like any text. ``None`` is an empty cell.
- Control characters XLSX cannot hold (all below a space but tab, line feed and carriage
  return) are left out, first: "\\x01=cmd" is a formula once they are gone.

``spreadsheet_text`` takes the quote off again for the imports that read our own files
back (territories, leads).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

import tablib
from django.http import HttpResponse
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# Values a spreadsheet shows as numbers or dates; they are written as they are.
PLAIN_TYPES = (bool, int, float, Decimal, date, time, timedelta)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(CONTENT_TYPES)


def spreadsheet_cell(value):
    """``value`` as a cell of a download: a number, a date, ``None``, or text that no
    spreadsheet reads as a formula (and an XLSX can hold)."""
    if value is None or isinstance(value, PLAIN_TYPES):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return QUOTE + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_text(text: str) -> str:
    """A cell read back from a file we wrote: without the quote ``spreadsheet_cell`` put
    in front of it (a quote that protects nothing, as in "'t Hoekje", stays)."""
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


@dataclass(frozen=True)
class Sheet:
    """A download: the header line, the rows and a title (the XLSX sheet's name)."""

    headers: Sequence
    rows: Iterable[Sequence]
    title: str = ""

    @classmethod
    def from_table(cls, table, *, title: str) -> "Sheet":
        """A django-tables2 table as it exports: verbose headers, ``value_*`` cells,
        invisible columns included, ``exclude_from_export`` ones left out."""
        headers, *rows = table.as_values()
        return cls(headers=headers, rows=rows, title=title)

    def export(self, fmt: str) -> str | bytes:
        """The file's content: ``str`` for CSV, ``bytes`` for XLSX."""
        dataset = tablib.Dataset(title=self.title or None)
        dataset.headers = [spreadsheet_cell(value) for value in self.headers]
        for row in self.rows:
            dataset.append([spreadsheet_cell(value) for value in row])
        return dataset.export(fmt)

    def response(self, fmt: str, *, filename: str) -> HttpResponse:
        """The file as a download named ``filename``."""
        response = HttpResponse(self.export(fmt), content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
