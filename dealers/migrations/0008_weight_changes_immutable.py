from django.db import migrations

from portal.immutable import immutable_table


class Migration(migrations.Migration):
    """Weight changes become immutable history like claim events (a database trigger),
    and both keep their lines when their actor's account is deleted."""

    dependencies = [
        ("dealers", "0007_owner_calendar_help"),
    ]

    operations = [
        immutable_table("dealers_claimevent", refresh=True),
        immutable_table("dealers_weightchange"),
    ]
