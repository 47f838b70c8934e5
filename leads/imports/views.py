"""Upload a CSV of leads, or of accounts and their installed base, and watch it import
(channel manager)."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from leads.models import ImportJob
from leads.services import account_imports
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


class AccountsUploadForm(UploadForm):
    """The accounts file: its header is checked at once, in the reader's language."""

    def clean_file(self):
        upload = super().clean_file()
        try:
            account_imports.check_file(upload)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
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
        return _start(request, form, ImportJob.Kind.LEADS)
    return _page(request, form=form)


@staff_required(Role.CHANNEL_MANAGER)
@require_http_methods(["POST"])
def import_accounts(request):
    """The accounts and installed base upload of the same page."""
    form = AccountsUploadForm(request.POST, request.FILES, prefix="accounts")
    if form.is_valid():
        return _start(request, form, ImportJob.Kind.ACCOUNTS)
    return _page(request, accounts_form=form)


def _start(request, form, kind: str):
    upload = form.cleaned_data["file"]
    job = ImportJob.objects.create(
        name=upload.name, file=upload, kind=kind, created_by=request.user
    )
    transaction.on_commit(lambda: _queue(job))
    return redirect("manage:import_detail", pk=job.pk)


def _page(request, *, form=None, accounts_form=None):
    jobs = ImportJob.objects.select_related("created_by")[:20]
    context = {
        "form": form or UploadForm(),
        "accounts_form": accounts_form or AccountsUploadForm(prefix="accounts"),
        "account_columns": ", ".join([*account_imports.CSV_COLUMNS, "city", "sector"]),
        "jobs": jobs,
    }
    return render(request, "imports/list.html", context)


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


@staff_required(Role.CHANNEL_MANAGER)
@require_GET
def import_accounts_example(request):
    return account_imports.example_sheet().response("csv", filename="accounts-example.csv")
