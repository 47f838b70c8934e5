"""Upload a CSV of leads and watch it import (channel manager)."""

from django import forms
from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from leads.models import ImportJob
from leads.services.imports import example_sheet
from portal.queue import publish
from portal.staff import staff_required
from portal.users.models import Role

MAX_UPLOAD = 50 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Comma or semicolon separated, UTF-8, first line with column names. At most 50 MB."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 50 MB; split it in parts."))
        return upload


def _queue(job: ImportJob) -> None:
    """Hand the job to a worker; without a broker (the demo), or with the broker down,
    the pending-imports sweep picks it up within seconds (the job row is the outbox)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # not in this request: the demo's timer loop runs it
    from leads.imports.tasks import run_import

    publish(run_import, job.pk)


@staff_required(Role.CHANNEL_MANAGER)
@require_http_methods(["GET", "POST"])
def import_list(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = ImportJob.objects.create(name=upload.name, file=upload, created_by=request.user)
        transaction.on_commit(lambda: _queue(job))
        return redirect("manage:import_detail", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:20]
    return render(request, "imports/list.html", {"form": form, "jobs": jobs})


@staff_required(Role.CHANNEL_MANAGER)
@require_GET
def import_detail(request, pk: int):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    template = (
        "imports/progress.html" if request.headers.get("HX-Request") else "imports/detail.html"
    )
    return render(request, template, {"job": job})


@staff_required(Role.CHANNEL_MANAGER)
@require_GET
def import_example(request):
    return example_sheet().response("csv", filename="leads-example.csv")
