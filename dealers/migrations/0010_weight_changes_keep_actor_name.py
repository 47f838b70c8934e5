from django.conf import settings
from django.db import migrations, models

from portal.immutable import immutable_table, immutable_table_lifted


def name_actors(apps, schema_editor):
    """Existing weight changes keep the name of the person who made them, as a
    ``ChangeEvent`` does, for when their account is deleted."""
    User = apps.get_model(settings.AUTH_USER_MODEL)
    WeightChange = apps.get_model("dealers", "WeightChange")
    actor_ids = WeightChange.objects.exclude(actor=None).values("actor_id").distinct()
    for user in User.objects.filter(pk__in=actor_ids).only("name", "email"):
        WeightChange.objects.filter(actor=user).update(data={"actor_name": user.name or user.email})


class Migration(migrations.Migration):
    """Weight changes keep their author's name (``data["actor_name"]``). The immutable
    table's trigger is lifted while the existing rows get theirs, then put back."""

    dependencies = [
        ("dealers", "0009_external_id"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        immutable_table_lifted("dealers_weightchange"),
        migrations.AddField(
            model_name="weightchange",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(name_actors, migrations.RunPython.noop),
        immutable_table("dealers_weightchange", refresh=True),
    ]
