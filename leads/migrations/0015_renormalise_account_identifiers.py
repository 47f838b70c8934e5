"""Accounts saved before their identifiers were normalised on save (commit 3dc321c)
keep "NL 0044.95.445.B01", "KvK 1234.5678" or "https://www.Example.nl/" and are never
found by a lead. Store every existing account's lookup columns as ``Account.save``
would now, with the very same function (``account_lookup_columns``).

Set-wise for a large table: the rows are read in chunks by a single cursor
(``iterator``) and only the ones whose columns change are written, with
``bulk_update`` in batches. A number the normaliser refuses is kept as it is."""

from django.db import migrations

from leads.models.accounts import ACCOUNT_LOOKUP_FIELDS, account_lookup_columns

BATCH = 2000


def renormalise_account_identifiers(apps, schema_editor, batch_size: int = BATCH) -> int:
    """Rewrite the lookup columns of every account whose stored spelling differs from
    the normalised one; returns how many accounts changed."""
    Account = apps.get_model("leads", "Account")
    rows = (
        Account.objects.order_by("pk")
        .only("pk", "legal_name", "country", *ACCOUNT_LOOKUP_FIELDS)
        .iterator(chunk_size=batch_size)
    )
    changed, pending = 0, []
    for account in rows:
        columns = account_lookup_columns(
            legal_name=account.legal_name,
            website_domain=account.website_domain,
            vat_number=account.vat_number,
            coc_number=account.coc_number,
            country=str(account.__dict__.get("country") or ""),
        )
        if all(getattr(account, field) == value for field, value in columns.items()):
            continue
        for field, value in columns.items():
            setattr(account, field, value)
        pending.append(account)
        if len(pending) >= batch_size:
            Account.objects.bulk_update(pending, ACCOUNT_LOOKUP_FIELDS, batch_size=batch_size)
            changed += len(pending)
            pending = []
    if pending:
        Account.objects.bulk_update(pending, ACCOUNT_LOOKUP_FIELDS, batch_size=batch_size)
        changed += len(pending)
    return changed


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0014_import_kind_accounts"),
    ]

    operations = [
        migrations.RunPython(renormalise_account_identifiers, migrations.RunPython.noop),
    ]
