"""Reading a CSV or XLSX download back in tests, the way a spreadsheet would see it."""

import csv
import io

import openpyxl

# OWASP's list of first characters that make a spreadsheet read a cell as a formula,
# written out here so the tests do not trust the code they test.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def downloaded_cells(response) -> list[list]:
    """The rows of cells of a CSV or XLSX download; an XLSX formula cell fails the test."""
    if response["Content-Type"].startswith("text/csv"):
        text = response.content.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline="")))
    return xlsx_cells(response.content)


def xlsx_cells(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    formulas = [
        cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"
    ]
    assert not formulas, f"formula cells in the XLSX: {formulas}"
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def live_cells(rows) -> list[str]:
    """The text cells a spreadsheet would run as a formula (none, in a safe file)."""
    return [v for row in rows for v in row if isinstance(v, str) and v.startswith(FORMULA_STARTS)]
