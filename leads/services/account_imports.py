"""CSV import of accounts and their installed base (the Import page), for a CRM or ERP
that exports files instead of calling the accounts API.

One row per installed product, with the account's fields repeated on each; the rows
with the same ``external_id`` are one account, wherever they are in the file (a blank
account cell on a later row takes the first row's; two rows that disagree are an
error). A row without product, serial and installed_on adds no product. When the file
has the installed-product columns, each account's installed base is replaced by its
rows (an account without product rows then has none); a file without them keeps it.
As in the API, a column the file leaves out empties that field.

Every account goes through the accounts API's own door: it is read by the API's
serializer (``AccountItemSerializer``) and written by ``accounts_upsert``, so the CSV
and the API check the same things in one place. An account is written whole or not at
all: a problem on any of its rows is reported with the line number and reason, and the
account's other rows wait with it; all other accounts go in. Accounts are sent in
batches of ``BATCH``, parents before their subsidiaries, each batch one transaction.
Importing the same file again changes nothing (the accounts are upserted by their
external id and their installed base is replaced by the same rows).

The file is read whole before anything is written (an account's rows may be anywhere
in it), which holds tens of thousands of rows in memory comfortably.
"""

import csv
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import serializers

from leads.api.serializers import AccountItemSerializer
from leads.models import ImportJob
from leads.services.accounts_sync import accounts_upsert
from leads.services.imports import MAX_REPORTED_ERRORS, choice_values, read_rows
from portal.exports import Sheet
from portal.messages import message, texts

BATCH = 500  # accounts per call of the service (the API's batches take BATCH_MAX)
# Column names → the accounts API's fields (and the installed product's).
ALIASES = {
    "external_id": "external_id",
    "id": "external_id",
    "account_id": "external_id",
    "legal_name": "legal_name",
    "company": "legal_name",
    "company_name": "legal_name",
    "domain": "domain",
    "website": "domain",
    "vat_number": "vat_number",
    "vat": "vat_number",
    "coc_number": "coc_number",
    "coc": "coc_number",
    "kvk": "coc_number",
    "country": "country",
    "postcode": "postcode",
    "zip": "postcode",
    "postal_code": "postcode",
    "plz": "postcode",
    "city": "city",
    "sector": "sector",
    "parent_external_id": "parent",
    "parent": "parent",
    "account_manager_email": "account_manager",
    "account_manager": "account_manager",
    "serving_dealer_external_id": "serving_dealer",
    "serving_dealer": "serving_dealer",
    "product": "product",
    "serial": "serial_number",
    "serial_number": "serial_number",
    "installed_on": "installed_on",
}
ACCOUNT_FIELDS = (
    "legal_name",
    "domain",
    "vat_number",
    "coc_number",
    "country",
    "postcode",
    "city",
    "sector",
    "parent",
    "account_manager",
    "serving_dealer",
)
PRODUCT_FIELDS = ("product", "serial_number", "installed_on")
# The API's names of fields whose model field is named otherwise (for the report's labels).
MODEL_FIELDS = {"domain": "website_domain"}
# The columns of the example file and of the help text.
CSV_COLUMNS = [
    "external_id",
    "legal_name",
    "domain",
    "vat_number",
    "coc_number",
    "country",
    "postcode",
    "parent_external_id",
    "account_manager_email",
    "serving_dealer_external_id",
    "product",
    "serial",
    "installed_on",
]


@dataclass
class AccountImportReport:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    products: int = 0
    written_rows: int = 0
    error_rows: int = 0
    errors: list[dict] = field(default_factory=list)

    def add_error(self, line: int, errors: dict, *, lines: list[int] | None = None) -> None:
        """Report a problem on ``line`` (the account's other rows in ``lines``); the
        rows not imported are counted by the caller."""
        if len(self.errors) < MAX_REPORTED_ERRORS:
            problem = {"line": line, "errors": errors}
            if lines and len(lines) > 1:
                problem["lines"] = lines
            self.errors.append(problem)


@dataclass
class _Account:
    """An account's rows: its fields from the first row, its products, what was wrong
    in reading them (line → {field: [stored message]})."""

    external_id: str
    lines: list[int]
    cells: dict
    products: list[tuple[int, dict]] = field(default_factory=list)
    problems: dict[int, dict] = field(default_factory=dict)

    def problem(self, line: int, name: str, text: dict) -> None:
        self.problems.setdefault(line, {}).setdefault(name, []).append(text)

    def item(self, columns: set[str]) -> dict:
        """The account as the accounts API takes it (``AccountItemSerializer``)."""
        item = {"external_id": self.external_id}
        for name in ACCOUNT_FIELDS:
            if name in columns:
                item[name] = self.cells.get(name, "")
        if item.get("country"):
            item["country"] = item["country"].upper()
        if sector := item.get("sector"):
            item["sector"] = choice_values("sector").get(sector.lower(), sector)
        if columns & set(PRODUCT_FIELDS):
            item["installed_base"] = [product for _line, product in self.products]
        return item


def check_header(header: list[str], columns: list[str]) -> None:
    if not {"external_id", "legal_name", "country"} <= set(columns):
        raise ValidationError(
            _(
                "The first line must name the columns; at least external_id, legal_name and country are needed. Found: %(found)s"
            )
            % {"found": ", ".join(header)}
        )


def check_file(stream) -> None:
    """Raise ``ValidationError`` now, in the reader's language, for a file whose first
    line names no usable columns (before it is queued); the stream is rewound."""
    try:
        next(read_rows(stream, aliases=ALIASES, check_header=check_header), None)
    finally:
        stream.seek(0)


def installed_on(value: str) -> date | None:
    """A date as people write it: 2024-12-31, 31-12-2024, 31.12.2024 or 31/12/2024 (the
    portal's date input formats, ``portal/formats/en``), or None."""
    for form in formats.get_format("DATE_INPUT_FORMATS", lang="en"):
        try:
            return datetime.strptime(value, form).date()
        except ValueError:
            continue
    return None


def import_accounts(
    *, stream, job: ImportJob | None = None, batch_size: int = BATCH
) -> AccountImportReport:
    """Import a CSV byte stream of accounts; returns the report (and keeps ``job`` up
    to date)."""
    report = AccountImportReport()
    accounts: dict[str, _Account] = {}
    columns: set[str] = set()
    for line, row in read_rows(stream, aliases=ALIASES, check_header=check_header):
        report.total_rows += 1
        if isinstance(row, csv.Error):
            report.error_rows += 1
            error = message(gettext_noop("This line could not be read: %(error)s"), error=str(row))
            report.add_error(line, {"__all__": [error]})
            continue
        columns |= row.keys()
        _read(line, row, accounts, report)
    _progress(job, report)
    ordered = _parents_first(accounts)
    for start in range(0, len(ordered), batch_size):
        _import_batch(ordered[start : start + batch_size], columns=columns, report=report)
        _progress(job, report)
    report.errors.sort(key=lambda problem: problem["line"])
    _progress(job, report)
    return report


def _read(line: int, row: dict, accounts: dict[str, _Account], report: AccountImportReport):
    external_id = row.get("external_id", "")
    if not external_id:
        report.error_rows += 1
        error = message(gettext_noop("Give every row the external_id of its account."))
        report.add_error(line, {"external_id": [error]})
        return
    account = accounts.get(external_id)
    cells = {name: row[name] for name in ACCOUNT_FIELDS if row.get(name)}
    if account is None:
        account = accounts[external_id] = _Account(external_id, [], cells)
    else:
        for name, value in cells.items():
            first = account.cells.setdefault(name, value)
            if first != value:
                error = message(
                    gettext_noop(
                        "Line %(line)s of this account says “%(value)s”: the rows of one account must agree."
                    ),
                    line=str(account.lines[0]),
                    value=first,
                )
                account.problem(line, MODEL_FIELDS.get(name, name), error)
    account.lines.append(line)
    if not any(row.get(name) for name in PRODUCT_FIELDS):
        return
    # a cell left empty is left out: the serializer says what is required
    product = {name: row[name] for name in PRODUCT_FIELDS if row.get(name)}
    if "installed_on" in product:
        day = installed_on(product["installed_on"])
        if day is None:
            error = message(gettext_noop("Write the date as 31-12-2024, 31.12.2024 or 2024-12-31."))
            account.problem(line, "installed_on", error)
        product["installed_on"] = day
    account.products.append((line, product))


def _parents_first(accounts: dict[str, _Account]) -> list[_Account]:
    """The accounts in the file's order, each after its parent when the parent is in the
    file (so a batch never names a parent that a later batch brings); accounts whose
    parents loop come last, where the service reports the loop."""
    depth: dict[str, int] = {}
    for external_id in accounts:
        chain: list[str] = []
        step = external_id
        while step in accounts and step not in depth and step not in chain:
            chain.append(step)
            step = accounts[step].cells.get("parent")
        base = len(accounts) if step in chain else depth.get(step, -1)
        for n, name in enumerate(reversed(chain), start=1):
            depth[name] = base + n
    return sorted(accounts.values(), key=lambda account: depth[account.external_id])


def _import_batch(batch: list[_Account], *, columns: set[str], report: AccountImportReport):
    """Check and write one batch through the API's serializer and ``accounts_upsert``;
    report the accounts with problems, in every language."""
    readable = [account for account in batch if not account.problems]
    items = [account.item(columns) for account in readable]
    checked = _validate(items)
    valid = [data for data in checked if not isinstance(data, serializers.ValidationError)]
    results = iter(accounts_upsert(valid))
    refused = []
    for account, item, data in zip(readable, items, checked, strict=True):
        if isinstance(data, serializers.ValidationError):
            refused.append((account, item))
            continue
        result = next(results)
        if result.status == 400:
            refused.append((account, item))
        elif result.status == 201:
            report.created += 1
        else:
            report.updated += 1
        if result.status != 400:
            report.products += len(data.get("installed_base", []))
            report.written_rows += len(account.lines)
    explained = _errors_in_every_language([item for _account, item in refused])
    for (account, _item), errors in zip(refused, explained, strict=True):
        for name, problems in errors.items():
            line = account.lines[0]
            if isinstance(name, tuple):  # (product index, field)
                line, name = account.products[name[0]][0], name[1]
            for problem in problems:
                account.problem(line, MODEL_FIELDS.get(name, name), problem)
    for account in batch:
        if account.problems:
            report.error_rows += len(account.lines)
            for line in sorted(account.problems):
                lines = account.lines if line == min(account.problems) else None
                report.add_error(line, account.problems[line], lines=lines)


def _validate(items: list[dict]) -> list[dict | serializers.ValidationError]:
    """Each item as the API reads it: its cleaned data, or the serializer's error."""
    reader = AccountItemSerializer()
    checked = []
    for item in items:
        try:
            checked.append(reader.run_validation(item))
        except serializers.ValidationError as error:
            checked.append(error)
    return checked


def _errors_in_every_language(items: list[dict]) -> list[dict]:
    """The errors of refused items as stored texts in every language of the portal
    (``portal.messages.texts``): the report is read later by people of any language,
    and the serializer and the service write their errors in the active one. Each
    language checks the refused items again; the service's run is rolled back (they
    write nothing anyway). Keys are fields, or (product index, field)."""
    if not items:
        return []
    by_language: dict[str, list[dict]] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            checked = _validate(items)
            valid = [data for data in checked if not isinstance(data, Exception)]
            with transaction.atomic():
                results = iter(accounts_upsert(valid))
                transaction.set_rollback(True)
            by_language[language] = [
                _flat(data.detail if isinstance(data, Exception) else next(results).errors)
                for data in checked
            ]
    first = next(iter(by_language.values()))
    return [
        {
            name: [
                texts(
                    {
                        language: _nth(flat[index], name, i, text)
                        for language, flat in by_language.items()
                    }
                )
                for i, text in enumerate(problems)
            ]
            for name, problems in errors.items()
        }
        for index, errors in enumerate(first)
    ]


def _nth(errors: dict, name, i: int, fallback: str) -> str:
    problems = errors.get(name, [])
    return problems[i] if i < len(problems) else fallback


def _flat(errors: dict) -> dict:
    """The serializer's or the service's errors as {field or (product index, field):
    [text]}: the installed products' errors by their place in the account's list."""
    flat: dict = {}
    for name, problems in errors.items():
        if name == "installed_base":
            # {index: {field: […]}} (or a list with one dict per product)
            by_index = dict(enumerate(problems)) if isinstance(problems, list) else problems
            if all(isinstance(index, int) and isinstance(p, dict) for index, p in by_index.items()):
                for index, product in by_index.items():
                    for part, texts_ in product.items():
                        flat[(index, part)] = [str(t) for t in texts_]
                continue
        if isinstance(problems, dict):  # a list's own errors ({"non_field_errors": […]})
            problems = [t for part in problems.values() for t in part]
        flat[name] = [str(t) for t in problems]
    return flat


def _progress(job: ImportJob | None, report: AccountImportReport) -> None:
    if job is None:
        return
    job.processed_rows = report.error_rows + report.written_rows
    job.created_accounts = report.created
    job.updated_accounts = report.updated
    job.installed_products = report.products
    job.error_rows = report.error_rows
    job.errors = report.errors
    job.save(
        update_fields=[
            "processed_rows",
            "created_accounts",
            "updated_accounts",
            "installed_products",
            "error_rows",
            "errors",
        ]
    )


def example_sheet() -> Sheet:
    """The example file: a parent with one installed product and a subsidiary with two
    (one row each, the account's fields repeated)."""
    parent = ["crm-100", "Van Dijk Holding B.V.", "vandijk.example", "", "", "NL", "3011 AB"]
    subsidiary = [
        "crm-101",
        "Van Dijk Techniek B.V.",
        "vandijk-techniek.example",
        "",
        "",
        "NL",
        "3012 CD",
    ]
    return Sheet(
        headers=CSV_COLUMNS,
        rows=[
            [*parent, "", "", "", "CNC 5-axis", "SN-004211", "12-05-2023"],
            [*subsidiary, "crm-100", "", "", "Press 200t", "SN-1001", "31.12.2024"],
            [*subsidiary, "crm-100", "", "", "Laser cutter", "", "2024-03-18"],
        ],
    )
