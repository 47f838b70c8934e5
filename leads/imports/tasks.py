"""Background import of uploaded CSV files (thin tasks: ids in, one service call)."""

from celery import shared_task

from leads.models import ImportJob
from leads.services import imports


@shared_task
def run_import(job_id: int) -> int:
    job = ImportJob.objects.get(pk=job_id)
    return imports.import_job_run(job=job).created_leads


@shared_task
def run_pending_imports() -> int:
    """The sweep: uploads whose task never ran (broker down, or the demo's timer loop)."""
    return imports.import_jobs_run_pending()
