"""Roles as groups with their model permissions, the two standing queues, and a
database trigger that makes lead events immutable."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_PERMISSIONS = {
    "Channel manager": [
        "leads.view_lead",
        "leads.change_lead",
        "leads.act_on_lead",
        "leads.view_leadevent",
        "leads.view_assignment",
        "leads.add_account",
        "leads.change_account",
        "leads.view_account",
        "leads.add_installedproduct",
        "leads.change_installedproduct",
        "leads.view_installedproduct",
        "leads.view_queue",
        "leads.change_queue",
        "leads.add_integration",
        "leads.change_integration",
        "leads.view_integration",
        "leads.view_apikey",
        "leads.change_apikey",
        "leads.view_policy",
        "leads.change_policy",
        "dealers.add_dealer",
        "dealers.change_dealer",
        "dealers.view_dealer",
        "dealers.add_dealermembership",
        "dealers.change_dealermembership",
        "dealers.view_dealermembership",
        "dealers.view_claim",
        "dealers.change_claim",
        "territories.add_territory",
        "territories.change_territory",
        "territories.view_territory",
        "territories.delete_territory",
        "territories.add_postcoderange",
        "territories.change_postcoderange",
        "territories.delete_postcoderange",
        "territories.view_postcoderange",
        "territories.add_territoryowner",
        "territories.change_territoryowner",
        "territories.delete_territoryowner",
        "territories.view_territoryowner",
        "users.view_user",
        "users.add_user",
        "users.change_user",
        "users.view_staffprofile",
        "users.change_staffprofile",
    ],
    "Sales manager": [
        "leads.view_lead",
        "leads.change_lead",
        "leads.act_on_lead",
        "leads.view_leadevent",
        "leads.view_assignment",
        "leads.view_account",
        "leads.view_installedproduct",
        "leads.view_queue",
        "leads.view_policy",
        "dealers.view_dealer",
        "dealers.view_claim",
        "territories.view_territory",
        "territories.view_postcoderange",
        "territories.view_territoryowner",
        "users.view_user",
        "users.view_staffprofile",
        "users.change_staffprofile",
    ],
    "Internal sales": [
        "leads.view_account",
        "leads.view_installedproduct",
        "dealers.view_dealer",
        "dealers.view_claim",
        "territories.view_territory",
    ],
    "Senior rep": [
        "leads.view_account",
        "leads.view_installedproduct",
        "dealers.view_dealer",
        "dealers.view_claim",
        "territories.view_territory",
    ],
    # Dealers get object permissions on their own leads and claims, nothing model-wide.
    "Dealer admin": [],
    "Dealer user": [],
}

QUEUES = [
    ("pool", "Channel pool", "Leads no rule could place; the channel manager assigns them."),
    (
        "nurture",
        "Marketing nurture",
        "Contacts that are not sales-ready yet; marketing nurtures them.",
    ),
]

TRIGGERS = {
    "postgresql": [
        """
        CREATE OR REPLACE FUNCTION leads_leadevent_immutable() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'lead events are immutable (% refused)', TG_OP;
        END;
        $$ LANGUAGE plpgsql;
        """,
        """
        CREATE TRIGGER leads_leadevent_no_update BEFORE UPDATE OR DELETE ON leads_leadevent
        FOR EACH ROW EXECUTE FUNCTION leads_leadevent_immutable();
        """,
    ],
    # SQLite: refuse updates; deletes are refused by the model and by PROTECT, and
    # Django's test flush on SQLite deletes rows, so no delete trigger there.
    "sqlite": [
        """
        CREATE TRIGGER leads_leadevent_no_update BEFORE UPDATE ON leads_leadevent
        BEGIN SELECT RAISE(ABORT, 'lead events are immutable (UPDATE refused)'); END;
        """,
    ],
}
DROP_TRIGGERS = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS leads_leadevent_no_update ON leads_leadevent;",
        "DROP FUNCTION IF EXISTS leads_leadevent_immutable();",
    ],
    "sqlite": ["DROP TRIGGER IF EXISTS leads_leadevent_no_update;"],
}


def create_roles_and_queues(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)
    Queue = apps.get_model("leads", "Queue")
    for slug, name, description in QUEUES:
        Queue.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
    Policy = apps.get_model("leads", "Policy")
    Policy.objects.get_or_create(pk=1)


def add_triggers(apps, schema_editor):
    for sql in TRIGGERS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor):
    for sql in DROP_TRIGGERS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0002_initial"),
        ("dealers", "0003_initial"),
        ("territories", "0002_initial"),
        ("users", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles_and_queues, migrations.RunPython.noop),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
