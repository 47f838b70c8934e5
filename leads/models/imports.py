"""A CSV import of leads, or of accounts and their installed base: its file, progress
and the rows that failed (the rows are read by ``leads.services.imports`` and
``leads.services.account_imports``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from leads.models.accounts import Account, InstalledProduct
from leads.models.lead import Lead
from portal.messages import render_message


class ImportJob(models.Model):
    """A CSV file of leads, or of accounts and installed base, being imported in the
    background, with its row report."""

    class Kind(models.TextChoices):
        LEADS = "leads", _("Leads")
        ACCOUNTS = "accounts", _("Accounts and installed base")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(upload_to="imports/%Y/%m/")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LEADS)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_leads = models.PositiveIntegerField(default=0)
    existing_leads = models.PositiveIntegerField(default=0)
    duplicate_leads = models.PositiveIntegerField(default=0)
    # accounts imports: accounts created and updated, installed products written
    created_accounts = models.PositiveIntegerField(default=0)
    updated_accounts = models.PositiveIntegerField(default=0)
    installed_products = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    # [{"line": 12, "errors": {"postcode": ["…"]}}], the first 1,000; an account of
    # several rows is reported on its first line with all of them in "lines"
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="import_pending"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def problems_cut(self) -> bool:
        """Whether more rows had problems than the report keeps (a problem covers its
        line, or an account's ``lines``)."""
        covered = {n for e in self.errors for n in (e.get("lines") or [e.get("line")])}
        return self.error_rows > len(covered)

    @property
    def problems(self) -> list[dict]:
        """``errors`` for people: each field named by its label ("Company", not
        ``company_name``); errors about the whole row have no label."""
        models_ = (Account, InstalledProduct) if self.kind == self.Kind.ACCOUNTS else (Lead,)
        fields = {
            f.name: f
            for model in reversed(models_)
            for f in model._meta.get_fields()
            if hasattr(f, "verbose_name")
        }
        labels = {"qualification": _("qualification"), "installed_base": _("installed base")}
        rows = []
        for row in self.errors:
            items = []
            for name, messages in row.get("errors", {}).items():
                if name in ("__all__", "non_field_errors"):
                    label = ""
                elif name in fields:
                    label = capfirst(fields[name].verbose_name)
                else:
                    label = capfirst(labels.get(name, name))
                # stored messages, each shown in the reader's language
                items.append({"label": label, "messages": [render_message(m) for m in messages]})
            problem = {"line": row.get("line"), "items": items}
            if row.get("lines"):
                problem["lines"] = row["lines"]
            rows.append(problem)
        return rows
