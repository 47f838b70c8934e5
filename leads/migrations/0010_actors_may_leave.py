from django.db import migrations

from portal.immutable import immutable_table


class Migration(migrations.Migration):
    """A lead's events keep their lines when their actor's account is deleted: the
    trigger lets ``on_delete=SET_NULL`` empty the actor and refuses every other update."""

    dependencies = [
        ("leads", "0009_confirmation_outbox"),
    ]

    operations = [immutable_table("leads_leadevent", refresh=True)]
