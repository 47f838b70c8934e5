"""``manage.py import_leads FILE.csv``: import leads from a CSV file.

Each row is validated like the API does; bad rows are reported with their line number
and reason, good rows are routed in batches. Importing the same file again adds nothing.
"""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leads.services.imports import BATCH, PROCESSES, import_leads
from portal.messages import render_message
from portal.runtime import tune_garbage_collection


class Command(BaseCommand):
    help = "Import leads from a CSV file (columns: company, country, postcode, email, …)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file, comma or semicolon separated, UTF-8")
        parser.add_argument("--batch", type=int, default=BATCH, help="Leads routed per transaction")
        parser.add_argument(
            "--processes",
            type=int,
            default=PROCESSES,
            help=f"Worker processes that clean, route and write the rows, on PostgreSQL (default "
            f"{PROCESSES}: one per core and one more, at most 4); 1 does it all in this process",
        )

    def handle(self, *args, path: str, batch: int, processes: int, **options):
        tune_garbage_collection()  # as a Celery worker runs an uploaded file's import
        started = time.monotonic()
        try:
            with open(path, "rb") as stream:
                report = import_leads(stream=stream, batch_size=batch, processes=processes)
        except FileNotFoundError as error:
            raise CommandError(f"No such file: {path}") from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        seconds = time.monotonic() - started
        for problem in report.errors:
            details = "; ".join(
                f"{field}: {' '.join(render_message(m) for m in msgs)}"
                for field, msgs in problem["errors"].items()
            )
            self.stderr.write(f"line {problem['line']}: {details}")
        if report.error_rows > len(report.errors):
            self.stderr.write(
                f"… and {report.error_rows - len(report.errors)} more rows with errors"
            )
        rate = report.total_rows / seconds if seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.total_rows} rows: {report.created} leads created, {report.existing} already "
                f"imported, {report.duplicates} attached to open leads, {report.error_rows} with "
                f"errors ({seconds:.1f} s, {rate:,.0f} rows/s)"
            )
        )
