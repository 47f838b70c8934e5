"""The one writer of CSV and XLSX downloads: no text cell reaches a spreadsheet as a
formula (OWASP "CSV injection"), numbers and dates stay numbers and dates, and the
imports read the neutralised text back as it was."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import django_tables2 as tables
import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from portal.exports import FORMATS, Sheet, spreadsheet_cell, spreadsheet_text
from tests.spreadsheets import FORMULA_STARTS, live_cells, xlsx_cells

ATTACKS = [first + 'HYPERLINK("http://evil.example","x")' for first in FORMULA_STARTS] + [
    "-5 cmd",
    "-1+1",
    "+31 10 123 4567",
    "@SUM(1+1)",
    "=",
]


def csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("value", ATTACKS)
def test_text_that_starts_like_a_formula_gets_a_quote_in_front(value):
    assert spreadsheet_cell(value) == "'" + value


@pytest.mark.parametrize("value", ATTACKS)
def test_the_csv_and_xlsx_show_it_as_text_starting_with_the_quote(value):
    sheet = Sheet(headers=["name", "count"], rows=[[value, 1]], title="t")
    rows = csv_cells(sheet.export("csv"))
    assert rows[1] == ["'" + value, "1"]
    assert not live_cells(rows)
    rows = xlsx_cells(sheet.export("xlsx"))  # no formula cell
    # (XML reads a carriage return in a text as a line feed)
    assert rows[1] == ["'" + value.replace("\r", "\n"), 1]
    assert not live_cells(rows)


@pytest.mark.parametrize(
    "value",
    ["Van Leeuwen B.V.", "jan@prospect.example", "3011 AB", "'=already quoted", " =x", "", None],
)
def test_harmless_text_and_empty_cells_stay_as_they_are(value):
    assert spreadsheet_cell(value) == value


@pytest.mark.parametrize(
    "value",
    [-5, 0, 12, -2.5, Decimal("-12.50"), Decimal("45000"), True],
)
def test_numbers_stay_numbers(value):
    assert spreadsheet_cell(value) is value
    sheet = Sheet(headers=["value"], rows=[[value]])
    assert csv_cells(sheet.export("csv"))[1] == [str(value)]
    cell = xlsx_cells(sheet.export("xlsx"))[1][0]
    assert cell == value and not isinstance(cell, str)


@pytest.mark.parametrize("value", [date(2026, 12, 4), datetime(2026, 12, 4, 18, 30)])
def test_dates_stay_dates(value):
    assert spreadsheet_cell(value) is value
    sheet = Sheet(headers=["at"], rows=[[value]])
    assert csv_cells(sheet.export("csv"))[1] == [str(value)]
    # XLSX knows no date without a time: a date reads back as midnight
    midnight = datetime(value.year, value.month, value.day)
    assert xlsx_cells(sheet.export("xlsx"))[1][0] in (value, midnight)


def test_control_characters_an_xlsx_cannot_hold_are_left_out_before_the_check():
    sheet = Sheet(headers=["name", "trick"], rows=[["Bell\x07 B.V.\x0b", "\x01=cmd"]])
    assert xlsx_cells(sheet.export("xlsx"))[1] == ["Bell B.V.", "'=cmd"]
    assert csv_cells(sheet.export("csv"))[1] == ["Bell B.V.", "'=cmd"]


def test_lazy_translations_and_other_objects_are_checked_as_the_text_they_become():
    class Named:
        def __str__(self):
            return "=cmd"

    assert spreadsheet_cell(gettext_lazy("=cmd")) == "'=cmd"
    assert spreadsheet_cell(Named()) == "'=cmd"


def test_empty_cells_are_empty_in_both_formats():
    sheet = Sheet(headers=["a", "b"], rows=[[None, ""]])
    assert csv_cells(sheet.export("csv"))[1] == ["", ""]
    assert xlsx_cells(sheet.export("xlsx"))[1] == [None, None]


def test_headers_are_cells_too():
    rows = csv_cells(Sheet(headers=["-note"], rows=[]).export("csv"))
    assert rows == [["'-note"]]


# Texts as people type them: any character but the control characters a sheet cannot hold.
TYPED = st.text(
    st.characters(exclude_characters=[chr(c) for c in range(32) if c not in (9, 10, 13)])
)


@given(st.text())
def test_no_text_ever_reaches_a_spreadsheet_as_a_formula(text):
    cell = spreadsheet_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert all(ord(c) >= 32 or c in "\t\n\r" for c in cell)


@given(TYPED)
def test_typed_text_is_kept_with_at_most_a_quote_in_front(text):
    assert spreadsheet_cell(text) in (text, "'" + text)


@given(TYPED.filter(lambda text: not text.startswith("'")))
def test_an_import_reads_back_what_was_exported(text):
    assert spreadsheet_text(spreadsheet_cell(text)) == text


def test_an_import_keeps_a_quote_that_protects_nothing():
    assert spreadsheet_text("'t Hoekje") == "'t Hoekje"
    assert spreadsheet_text("'") == "'"


class PeopleTable(tables.Table):
    name = tables.Column(verbose_name=gettext_lazy("Contact person"))
    leads = tables.Column(verbose_name="Leads")
    secret = tables.Column(visible=False, exclude_from_export=True)


def test_a_table_exports_its_verbose_headers_and_values_neutralised():
    table = PeopleTable([{"name": "@SUM(1+1)", "leads": 3, "secret": "x"}])
    rows = xlsx_cells(Sheet.from_table(table, title="People").export("xlsx"))
    assert rows == [["Contact person", "Leads"], ["'@SUM(1+1)", 3]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_response_is_a_named_download_of_its_type(fmt):
    response = Sheet(headers=["a"], rows=[["=1"]]).response(fmt, filename=f"x.{fmt}")
    assert response["Content-Disposition"] == f'attachment; filename="x.{fmt}"'
    assert (
        response["Content-Type"]
        == {
            "csv": "text/csv; charset=utf-8",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[fmt]
    )
    assert response.content
