"""CSV import of leads: streamed, validated per row, routed in batches, idempotent.

Every row is checked by the same rules as every other way in (the one field cleaner,
``leads.services.cleaning``); repeats of open leads are found by the one duplicate
finder (``leads.services.duplicates``). An import never stops on a row: a line that
cannot be read, a value that breaks a rule, or a row the database refuses is reported
with its line number and reason, and the other rows go in. Good rows go through the one
door in batches (``routing.leads_route_new``), each batch in its own transaction; when
the database refuses a batch, it is split until the rows it refuses are found, so a
crash never half-writes a batch and progress is visible. A row without an
``external_id`` column gets one from its content, so importing the same file twice
adds nothing (a row attached to an open lead the first time is known too). Memory stays
flat: the file is read row by row.

On PostgreSQL the rows may be cleaned, routed and written by worker processes
(``import_leads(processes=…)``; ``manage.py import_leads`` and an upload use
``PROCESSES``): a row goes to the worker that has the rows sharing an identifier with it
(``row_keys``), so each company's rows are handled in one process, in the file's order.
"""

import codecs
import contextlib
import csv
import functools
import hashlib
import io
import logging
import operator
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leads.matching.normalize import InvalidVat, lookup_columns, normalize_vat
from leads.models import DuplicateSubmission, ImportJob, Lead
from leads.services import duplicates, routing
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import LEAD_FIELDS, leads_intake_many, new_lead
from portal.choices import Language, Sector
from portal.exports import Sheet, spreadsheet_text
from portal.messages import interpolate, message, texts
from portal.processes import Partitioned
from portal.runtime import warm_up

log = logging.getLogger(__name__)

BATCH = 500
# Worker processes of ``manage.py import_leads`` and of an upload (``import_leads(
# processes=…)``): one per core and one more, since a worker often waits on PostgreSQL
# (its writes, the share counters' lock) with its core idle. On 2 cores, in turns with
# 100,000 rows: 1 process 845-873 leads/s, 2 workers 1,281, 3 workers 1,466 (medians).
# At most 4: more were not measured. ``IMPORT_PROCESSES`` (the environment's) overrides it.
PROCESSES = settings.IMPORT_PROCESSES or min(4, (os.cpu_count() or 1) + 1)
MAX_REPORTED_ERRORS = 1000
# Re-analyse the lead table after this many imported leads, and again each time the
# import doubled (2,000, 4,000, 8,000…): row estimates scale with the table's size by
# themselves, only a table much bigger than when it was last analysed misleads the planner.
# Into a (nearly) empty table the first refresh matters most: before it the duplicate and
# matching lookups filter every open lead (10 ms each at 18,000 leads, nine per batch);
# ANALYZE reads every row up to 30,000 (0.7 s at 21,000 leads here), so early ones are cheap.
REFRESH_STATISTICS_FROM = 2_000
# Column names we understand, in English, Dutch and German, mapped to our fields.
ALIASES = {
    "company": "company_name", "company_name": "company_name", "bedrijf": "company_name",
    "bedrijfsnaam": "company_name", "firma": "company_name", "unternehmen": "company_name",
    "name": "contact_name", "contact": "contact_name", "contact_name": "contact_name",
    "naam": "contact_name", "ansprechpartner": "contact_name", "email": "contact_email",
    "e-mail": "contact_email", "contact_email": "contact_email", "phone": "contact_phone",
    "telefoon": "contact_phone", "telefon": "contact_phone", "contact_phone": "contact_phone",
    "job_title": "contact_role", "functie": "contact_role", "position": "contact_role",
    "contact_role": "contact_role", "website": "website", "vat": "vat_number",
    "vat_number": "vat_number", "btw": "vat_number", "ust_id": "vat_number",
    "coc": "coc_number", "kvk": "coc_number", "coc_number": "coc_number", "country": "country",
    "land": "country", "postcode": "postcode", "zip": "postcode", "postal_code": "postcode",
    "plz": "postcode", "city": "city", "plaats": "city", "stadt": "city", "ort": "city",
    "sector": "sector", "branche": "sector", "industry": "sector", "value": "estimated_value",
    "estimated_value": "estimated_value", "temperature": "temperature", "interest": "interest",
    "message": "message", "language": "language", "external_id": "external_id",
    "id": "external_id",
}  # fmt: skip
QUALIFICATION_COLUMNS = set(routing.QUALIFICATION_LABELS)
TRUE = {"1", "yes", "y", "true", "ja", "j", "x"}
FALSE = {"0", "no", "n", "false", "nee", "nein"}


def errors_in_every_language(row: dict) -> dict[str, list[dict]]:
    """The field cleaner's errors for a bad row as stored texts in every language of
    the portal (``portal.messages.texts``): the report is read later, by people who
    each read it in their own language, and the cleaner writes its errors in the
    active one. Only reported rows are cleaned again, once per language."""
    by_language: dict[str, dict[str, list[str]]] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            try:
                clean_lead_fields(row_to_data(row))
            except ValidationError as error:
                by_language[language] = error.message_dict
    first = next(iter(by_language.values()), {})
    return {
        name: [
            texts({language: errors[name][i] for language, errors in by_language.items()})
            for i in range(len(problems))
        ]
        for name, problems in first.items()
    }


@dataclass
class ImportReport:
    total_rows: int = 0
    created: int = 0
    existing: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)
    error_rows: int = 0

    def merge(self, other: "ImportReport") -> None:
        """Add a part of the import done elsewhere (a worker's batch)."""
        self.created += other.created
        self.existing += other.existing
        self.duplicates += other.duplicates
        self.error_rows += other.error_rows
        if other.errors:
            errors = sorted(self.errors + other.errors, key=operator.itemgetter("line"))
            self.errors = errors[:MAX_REPORTED_ERRORS]

    def add_error(self, line: int, errors: dict | Callable[[], dict]) -> None:
        """Count a bad row and report the first ones; ``errors`` may be a function
        that writes them (only called for a reported row)."""
        self.error_rows += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "errors": errors() if callable(errors) else errors})


def read_rows(
    stream, *, aliases: dict[str, str] = ALIASES, check_header: Callable | None = None
) -> Iterator[tuple[int, dict | csv.Error]]:
    """(line number, row) pairs from a CSV byte stream; ``,`` or ``;`` separated,
    UTF-8 with or without BOM, or Windows-1252 (what Excel's "CSV" writes in Dutch and
    German: semicolons, and "ä" as one byte); without the quote our own exports put in
    front of a cell like ``+31 10 …``. Columns are named by ``aliases`` (a name it does
    not know is kept, in lower case). A line the CSV reader cannot read comes as its
    ``csv.Error`` instead of a row, and reading goes on. Raises ``ValidationError``
    when there is no usable header (``check_header(header, columns)`` says; by default
    the leads' company and country)."""
    # newline="": the CSV reader sees the line ends as written (a cell may hold one);
    # only "\n", "\r" and "\r\n" end a line, not the Unicode separators a pasted
    # text can hold. Detached at the end: closing the stream is the caller's business.
    text = io.TextIOWrapper(stream, encoding=_encoding(stream), errors="replace", newline="")
    try:
        yield from _records(text, aliases, check_header or _lead_header)
    finally:
        text.detach()


def _records(text, aliases: dict[str, str], check_header: Callable):
    first = text.readline()
    if not first.strip():
        raise ValidationError(_("The file is empty."))
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter))
    columns = [aliases.get(h.strip().lower().replace(" ", "_"), h.strip().lower()) for h in header]
    check_header(header, columns)
    reader = csv.reader(text, delimiter=delimiter)
    while True:
        line = reader.line_num + 2  # where the next record starts (the header is line 1)
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, error
            continue
        if not any(v.strip() for v in values):
            continue
        cells = (spreadsheet_text(v.strip()) for v in values)
        yield line, dict(zip(columns, cells, strict=False))


def _lead_header(header: list[str], columns: list[str]) -> None:
    if "company_name" not in columns or "country" not in columns:
        raise ValidationError(
            _(
                "The first line must name the columns; at least company and country are needed. Found: %(found)s"
            )
            % {"found": ", ".join(header)}
        )


def _encoding(stream) -> str:
    """``utf-8-sig`` (with or without BOM), or ``cp1252`` when the bytes are not UTF-8.
    Reads a seekable stream once in chunks and goes back to where it was; a stream that
    cannot seek is read as UTF-8."""
    if not stream.seekable():
        return "utf-8-sig"
    start = stream.tell()
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        stream.seek(start)
    return "utf-8-sig"


# Columns whose values people write as words: the code or its name in English, Dutch or
# German is taken, in any case ("Automotive", "Lebensmittel & Getränke", "WARM").
CHOICE_COLUMNS = {"sector": Sector, "temperature": Lead.Temperature, "language": Language}


@functools.cache
def choice_values(column: str) -> dict[str, str]:
    """Every accepted spelling of a choice column's values → the value's code."""
    choices = CHOICE_COLUMNS[column]
    spellings = {}
    for language in ("en", "nl", "de"):
        with translation.override(language):
            for code, label in choices.choices:
                label = str(label).strip().lower()
                spellings[label] = spellings[label.split(" (")[0]] = code  # "hot (demo…)"
    return spellings | {code.lower(): code for code in choices.values}  # a code wins


def row_to_data(row: dict) -> dict:
    data = {k: v for k, v in row.items() if k in LEAD_FIELDS or k == "interest"}
    for column in CHOICE_COLUMNS.keys() & data.keys():
        if value := data[column]:  # unknown words stay, and are reported for the row
            data[column] = choice_values(column).get(value.lower(), value)
    answers = {}
    for key in QUALIFICATION_COLUMNS & row.keys():
        value = row[key].lower()
        if value in TRUE:
            answers[key] = True
        elif value in FALSE:
            answers[key] = False
    if answers:
        data["qualification"] = answers
    return data


def content_id(row: dict) -> str:
    """A stable id for a row without an external id: the same row gets the same id."""
    canonical = "\x1f".join(f"{k}={row[k].strip().lower()}" for k in sorted(row) if row[k])
    return "csv-" + hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()[:24]


def import_leads(
    *,
    stream,
    actor=None,
    job: ImportJob | None = None,
    batch_size: int = BATCH,
    processes: int = 1,
) -> ImportReport:
    """Import a CSV byte stream; returns the report (and keeps ``job`` up to date).

    With ``processes`` > 1 (on PostgreSQL, outside a transaction) this process only
    reads the rows, and that many worker processes clean, route and write them
    (``portal.processes.Partitioned``): the rows of one company (any identifier the
    cleaned row will have, ``row_keys``) go to the same worker, in the file's order, so
    a repeat is still attached to the first row, never routed twice. The import's Python
    then uses more than one core."""
    report = ImportReport()
    progress = _Progress(job, report)
    rows = _readable_rows(stream, report)
    if processes > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        work = functools.partial(_import_rows, actor=actor)
        warm_up()  # once here, not in every worker after the fork
        with Partitioned(processes, work=work, batch=batch_size) as workers:
            for item in rows:
                for done in workers.put(item, row_keys(item[1])):
                    progress(done)
            for done in workers.finish():
                progress(done)
    else:
        pending: list[Item] = []
        for item in rows:
            pending.append(item)
            if len(pending) >= batch_size:
                done, pending = _import_rows(pending, actor=actor)
                progress(done)
        while pending:
            done, pending = _import_rows(pending, actor=actor)
            progress(done)
    report.errors.sort(key=operator.itemgetter("line"))
    return report


# A row on its way: (line, the row as read, its cleaned data once cleaned).
Item = tuple[int, dict | None, dict | None]


def _readable_rows(stream, report: ImportReport) -> Iterator[Item]:
    """The rows the CSV reader could read; the others go into ``report``."""
    for line, row in read_rows(stream):
        report.total_rows += 1
        if isinstance(row, csv.Error):
            report.add_error(
                line,
                {
                    "__all__": [
                        message(
                            gettext_noop("This line could not be read: %(error)s"), error=str(row)
                        )
                    ]
                },
            )
            continue
        yield line, row, None


def _import_rows(items: list[Item], *, actor) -> tuple["ImportReport", list[Item]]:
    """Clean the rows not cleaned yet and route a batch of them; returns what was done
    and the rows held back for the next batch (cleaned: a second row of a contact or
    company in one batch is attached to the first once that exists)."""
    done = ImportReport()
    cleaned = []
    for line, row, data in items:
        if data is None:
            try:
                data = clean_lead_fields(row_to_data(row))
            except ValidationError:
                done.add_error(line, functools.partial(errors_in_every_language, row))
                continue
            data["external_id"] = data.get("external_id") or content_id(row)
        cleaned.append((line, data))
    later = _import_batch(cleaned, report=done, actor=actor)
    return done, [(line, None, data) for line, data in later]


def row_keys(row: dict) -> set[duplicates.Key]:
    """What a read row is partitioned by: the identifiers its lead will have once the row
    is cleaned (``duplicates.identity``) and its external id, computed without cleaning
    the whole row (its phone number, the costliest part, plays no part). A row the
    cleaner will refuse may get keys it never uses; it is reported either way."""

    def raw(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip()

    country = raw("country").upper()
    vat = ""
    if number := raw("vat_number"):
        with contextlib.suppress(InvalidVat):
            vat = normalize_vat(number, country or None)
    columns = lookup_columns(raw("company_name"), raw("website"), raw("contact_email").lower())
    keys = duplicates.keys_of(
        columns.website_domain,
        columns.email_domain,
        columns.contact_email,
        vat,
        columns.company_normalized,
        country,
    )
    return {*keys, ("external_id", raw("external_id") or content_id(row))}


class _Progress:
    """After each batch: its counts added to the report and the job, and the lead table's statistics refreshed
    when the import has grown it (``REFRESH_STATISTICS_FROM``)."""

    def __init__(self, job: ImportJob | None, report: ImportReport):
        self.job, self.report = job, report
        self.refresh_at = REFRESH_STATISTICS_FROM

    def __call__(self, done: ImportReport) -> None:
        self.report.merge(done)
        _progress(self.job, self.report)
        if self.report.created >= self.refresh_at:
            _refresh_statistics()
            self.refresh_at *= 2


# The columns the import's lookups filter on (known external ids, the duplicate finder,
# the matcher's open leads): the statistics a refresh renews.
LOOKUP_COLUMNS = (
    "source", "external_id", "contact_email", "email_domain", "website_domain", "vat_number",
    "company_normalized", "country", "status", "created_at", "erased_at",
)  # fmt: skip


def _refresh_statistics() -> None:
    """A big import grows the lead tables faster than autovacuum re-analyses them, and
    with stale statistics PostgreSQL stops using the e-mail and company indexes for the
    duplicate and matching lookups (seconds per batch instead of milliseconds). Only the
    lookups' columns are analysed (0.6 s instead of 1.5-1.9 s at 70,000 leads: the
    sample is read either way, the other 45 columns' statistics are not computed); the
    table's size is renewed with them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE leads_lead ({', '.join(LOOKUP_COLUMNS)})")


def _progress(job: ImportJob | None, report: ImportReport) -> None:
    if job is None:
        return
    job.processed_rows = report.created + report.existing + report.duplicates + report.error_rows
    job.created_leads = report.created
    job.existing_leads = report.existing
    job.duplicate_leads = report.duplicates
    job.error_rows = report.error_rows
    job.errors = report.errors
    job.save(
        update_fields=[
            "processed_rows",
            "created_leads",
            "existing_leads",
            "duplicate_leads",
            "error_rows",
            "errors",
        ]
    )


def _import_batch(
    rows: list[tuple[int, dict]], *, report: ImportReport, actor
) -> list[tuple[int, dict]]:
    """Route one batch; returns rows that must wait for the next batch (a second row of
    the same contact or company in one batch is attached to the first once it exists)."""
    now = timezone.now()
    ids = [data["external_id"] for _line, data in rows]
    # ("<> ''" repeats the unique index's predicate, which PostgreSQL cannot prove from
    # an array of more than 100 values: without it, a scan of every lead per batch.)
    known = set(
        Lead.objects.filter(source=Lead.Source.CSV, external_id__any=ids)
        .exclude(external_id="")
        .values_list("external_id", flat=True)
    )
    # A row attached to an open lead by an earlier import is known as well.
    known |= set(
        DuplicateSubmission.objects.filter(
            source=Lead.Source.CSV, external_id__any=[i for i in ids if i not in known]
        )
        .exclude(external_id="")
        .values_list("external_id", flat=True)
    )
    batch, later, seen = [], [], set()
    for line, data in rows:
        if data["external_id"] in known:
            report.existing += 1
            continue
        lead = _lead(data, now=now)
        keys = duplicates.identity(lead)
        if keys & seen:
            later.append((line, data))
            continue
        seen |= keys
        batch.append((line, data, lead))
    if batch:
        _write(batch, report=report, actor=actor, now=now)
    return later


def _write(rows: list[tuple[int, dict, Lead]], *, report: ImportReport, actor, now) -> None:
    """Route the new rows and attach the repeats, through the intake's set-wise door; a
    row the database refuses is reported with its line, the others go in."""
    written = leads_intake_many(
        rows,
        make=functools.partial(_lead, now=now),
        created=lambda line, lead: {
            "source": Lead.Source.CSV,
            "external_id": lead.external_id,
            "line": line,
        },
        actor=actor,
        now=now,
    )
    report.created += len(written.created)
    report.duplicates += len(written.attached)
    for line, error in written.refused.items():
        report.add_error(
            line,
            {
                "__all__": [
                    message(gettext_noop("The database refused this row: %(error)s"), error=error)
                ]
            },
        )


def _lead(data: dict, *, now) -> Lead:
    return new_lead(data, source=Lead.Source.CSV, now=now, confirm=False)


def import_job_run(*, job: ImportJob) -> ImportJob:
    """Run a pending upload of leads or of accounts (the task and the demo's timer loop
    call this)."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return job
    job.refresh_from_db()
    try:
        with job.file.open("rb") as handle:
            job.total_rows = max(0, sum(1 for _ in handle) - 1)
        job.save(update_fields=["total_rows"])
        with job.file.open("rb") as handle:
            if job.kind == ImportJob.Kind.ACCOUNTS:
                from leads.services.account_imports import import_accounts  # reads with ours

                report = import_accounts(stream=handle, job=job)
            else:
                report = import_leads(
                    stream=handle, actor=job.created_by, job=job, processes=PROCESSES
                )
                _progress(job, report)
        job.total_rows = report.total_rows
        job.status = ImportJob.Status.DONE
    except ValidationError as error:
        job.status = ImportJob.Status.FAILED
        job.failure = " ".join(error.messages)
    except Exception as error:  # the job must not stay "running" forever
        job.status = ImportJob.Status.FAILED
        job.failure = interpolate(
            _(
                "The import stopped: %(error)s. Rows imported so far are kept; import the file again to continue."
            ),
            {"error": error},
        )
        raise
    finally:
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "failure", "finished_at", "total_rows"])
    return job


def import_jobs_run_pending() -> int:
    done = 0
    for job in ImportJob.objects.filter(status=ImportJob.Status.PENDING).order_by("created_at")[:5]:
        import_job_run(job=job)
        done += 1
    return done


# The columns of the example file (the import also reads the names in ALIASES).
CSV_COLUMNS = [
    "external_id",
    "company",
    "contact",
    "email",
    "phone",
    "country",
    "postcode",
    "city",
    "sector",
    "value",
    "interest",
]


def example_sheet() -> Sheet:
    """The example file on the import page: one lead, in the columns of ``CSV_COLUMNS``."""
    row = [
        "fair-2026-001",
        "Van Leeuwen Verpakkingen B.V.",
        "Sanne van Leeuwen",
        "sanne@vanleeuwen.example",
        "+31 10 123 4567",
        "NL",
        "3011 AB",
        "Rotterdam",
        "packaging",
        "45000",
        "demo",
    ]
    return Sheet(headers=CSV_COLUMNS, rows=[row])
