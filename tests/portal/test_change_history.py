"""History that cannot be rewritten (issue 15): weight, territory, policy and dealer-status
changes are immutable lines, on the model and in the database, shown on each object's
page and in the admin, and kept when the person who made them is deleted."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from dealers.allocation import weight_override_set
from dealers.models import Dealer, WeightChange
from dealers.services import lifecycle
from leads.models import Account, LeadEvent, Policy
from portal.audit.models import ChangeEvent
from portal.users.models import Role, User
from territories.services import OwnerSpec, territory_save
from tests.factories import DealerFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import new_lead

pytestmark = pytest.mark.django_db

DATABASE_REFUSES = (IntegrityError, ProgrammingError)  # SQLite ABORT; PostgreSQL RAISE


def soon():
    return timezone.localdate() + timedelta(days=30)


@pytest.fixture
def manager():
    return StaffFactory(role=Role.CHANNEL_MANAGER, user__name="Claudia Jansen").user


@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser(email="root@example.com", password="x", name="Root")
    StaffFactory(user=user, role=Role.CHANNEL_MANAGER)
    client.force_login(user)
    return user


def change_lines(obj) -> list[ChangeEvent]:
    return list(
        ChangeEvent.objects.filter(object_id=str(obj.pk), object_repr=str(obj)).order_by("at")
    )


def test_a_dealer_status_change_is_an_immutable_line_that_outlives_its_author(client, manager):
    dealer = DealerFactory(name="Alpha Techniek")
    lifecycle.dealer_set_status(
        dealer=dealer, status=Dealer.Status.PAUSED, actor=manager, reason="Holiday closure"
    )
    [line] = change_lines(dealer)
    assert "Holiday closure" in line.describe() and line.actor == manager

    LogEntry.objects.all().delete()  # the admin's log is editable; the history is not
    manager.delete()

    line.refresh_from_db()
    assert line.actor is None and line.actor_label == "Claudia Jansen"
    viewer = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(viewer)
    page = client.get(reverse("manage:dealer_detail", args=[dealer.pk])).content.decode()
    assert "Holiday closure" in page and "Claudia Jansen" in page


def test_a_territory_change_is_kept_on_its_page(client, manager):
    alpha, beta = DealerFactory(name="Alpha"), DealerFactory(name="Beta")
    territory = territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1)])
    territory_save(
        territory=territory,
        actor=manager,
        name="NL Rijnmond",
        country="NL",
        sectors=[],
        is_active=True,
        notes="",
        ranges=[(3000, 3199)],
        owners=[OwnerSpec("dealer", alpha.pk, Decimal(2)), OwnerSpec("dealer", beta.pk, 1)],
    )
    manager.delete()

    [line] = change_lines(territory)
    assert line.actor is None
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    page = client.get(reverse("manage:territory_detail", args=[territory.pk])).content.decode()
    assert "Added territory owner" in page and "Claudia Jansen" in page


def test_a_territory_change_is_kept_in_the_admin(client, superuser, manager):
    alpha = DealerFactory(name="Alpha")
    territory = territory_with(name="NL Rijnmond", ranges=[(3000, 3099)], owners=[(alpha, 1)])
    territory_save(
        territory=territory,
        actor=manager,
        name="NL Rijnmond",
        country="NL",
        sectors=[],
        is_active=True,
        notes="Rotterdam and the islands",
        ranges=[(3000, 3199)],
        owners=[OwnerSpec("dealer", alpha.pk, Decimal(2))],
    )
    LogEntry.objects.all().delete()
    manager.delete()

    url = reverse("admin:territories_territory_change", args=[territory.pk])
    page = client.get(url).content.decode()
    history = page[page.index("audit-changeevent-content_type-object_id") :]
    assert "Claudia Jansen" in history and "Changed" in history
    listing = client.get(reverse("admin:audit_changeevent_changelist")).content.decode()
    assert "NL Rijnmond" in listing and "Claudia Jansen" in listing


def test_history_lines_refuse_changes_on_the_model(manager):
    dealer = DealerFactory()
    lifecycle.dealer_set_capacity(dealer=dealer, weekly_capacity=5, actor=manager)
    [line] = change_lines(dealer)
    line.message = "nothing happened"
    with pytest.raises(ValidationError):
        line.save()
    with pytest.raises(ValidationError):
        line.delete()
    with pytest.raises(ValidationError):
        ChangeEvent.objects.filter(pk=line.pk).update(message="rewritten")
    change = weight_override_set(
        dealer=dealer, actor=manager, weight="2", until=soon(), reason="Launch support"
    )
    with pytest.raises(ValidationError):
        WeightChange.objects.filter(pk=change.pk).delete()


@pytest.fixture
def two_lines(manager):
    """A change history line and a weight change."""
    dealer = DealerFactory()
    lifecycle.dealer_set_capacity(dealer=dealer, weekly_capacity=5, actor=manager)
    weight_override_set(dealer=dealer, actor=manager, weight="2", until=soon(), reason="Launch")


@pytest.mark.parametrize("table", ["audit_changeevent", "dealers_weightchange"])
def test_the_database_refuses_to_rewrite_a_history_line(two_lines, table):
    column = {"audit_changeevent": "message", "dealers_weightchange": "reason"}[table]
    with (
        pytest.raises(DATABASE_REFUSES, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET {column} = 'rewritten'")


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["audit_changeevent", "dealers_weightchange"])
def test_postgres_refuses_to_delete_a_history_line(two_lines, table):
    with (
        pytest.raises(DATABASE_REFUSES, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table}")


@pytest.mark.postgres
def test_postgres_lets_only_the_actor_go(two_lines):
    """The one update the trigger lets through is emptying the actor, nothing with it."""
    with (
        pytest.raises(DATABASE_REFUSES, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_changeevent SET actor_id = NULL, message = 'rewritten'")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_changeevent SET actor_id = NULL")
    assert ChangeEvent.objects.get().message != "rewritten"


def test_weight_changes_and_lead_events_outlive_their_author(client, manager):
    dealer = DealerFactory()
    change = weight_override_set(
        dealer=dealer, actor=manager, weight="2", until=soon(), reason="Launch"
    )
    lead = new_lead()
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.NOTE, actor=manager, reason={})

    manager.delete()

    change.refresh_from_db()
    assert change.actor is None and change.reason == "Launch"
    assert change.actor_label == "Claudia Jansen"
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.NOTE, actor=None).exists()
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    page = client.get(reverse("manage:allocation_dealer", args=[dealer.pk])).content.decode()
    assert "Launch" in page and "Claudia Jansen" in page
    page = client.get(reverse("manage:dealer_detail", args=[dealer.pk])).content.decode()
    audit = page[page.index('id="dealer-audit"') :]
    assert "Manager override" in audit and "2.00" in audit and "Launch" in audit
    assert "Claudia Jansen" in audit


def test_weight_changes_show_at_the_foot_of_the_dealers_admin_page(client, superuser, manager):
    dealer = DealerFactory(name="Alpha Techniek")
    weight_override_set(dealer=dealer, actor=manager, weight="2", until=soon(), reason="Launch")
    manager.delete()
    page = client.get(reverse("admin:dealers_dealer_change", args=[dealer.pk])).content.decode()
    assert "Manager override" in page and "Launch" in page and "Claudia Jansen" in page
    listing = client.get(reverse("admin:dealers_weightchange_changelist")).content.decode()
    assert "Launch" in listing and "Claudia Jansen" in listing


def test_a_policy_change_in_the_admin_records_old_and_new_values(client, superuser):
    policy = Policy.current()
    url = reverse("admin:leads_policy_change", args=[policy.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, False)}
    data["claim_days"] = "60"  # the routing fields are read-only here (tests/leads/test_admin.py)
    data.update(
        {
            "audit-changeevent-content_type-object_id-TOTAL_FORMS": "0",
            "audit-changeevent-content_type-object_id-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data, follow=True)
    assert response.status_code == 200, response.content.decode()[:2000]

    [line] = change_lines(Policy.current())
    assert "90" in line.describe() and "60" in line.describe()
    page = client.get(url).content.decode()
    assert "claim_days" in page and "Root" in page  # the history at the foot of the page


def test_the_admin_lists_the_history_read_only(client, superuser, manager):
    dealer = DealerFactory(name="Alpha Techniek")
    lifecycle.dealer_set_status(
        dealer=dealer, status=Dealer.Status.PAUSED, actor=manager, reason="Holiday closure"
    )
    listing = client.get(reverse("admin:audit_changeevent_changelist"))
    assert listing.status_code == 200 and "Holiday closure" in listing.content.decode()
    dealer_page = client.get(reverse("admin:dealers_dealer_change", args=[dealer.pk]))
    assert "Holiday closure" in dealer_page.content.decode()
    line = ChangeEvent.objects.get()
    assert client.post(reverse("admin:audit_changeevent_delete", args=[line.pk])).status_code == 403


def test_a_deletion_of_several_objects_in_the_admin_is_one_line_each(client, superuser):
    accounts = [
        Account.objects.create(legal_name=f"Firma {n} B.V.", country="NL") for n in range(3)
    ]
    response = client.post(
        reverse("admin:leads_account_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in accounts], "post": "yes"},
    )
    assert response.status_code == 302
    lines = ChangeEvent.objects.filter(kind=ChangeEvent.Kind.DELETED)
    assert sorted(line.object_repr for line in lines) == sorted(str(a) for a in accounts)


def routing_form(**changes) -> dict:
    """The routing policy page's form as it is now, with ``changes``."""
    from leads.staff.policy_forms import RoutingPolicyForm

    initial = RoutingPolicyForm.initial_for(Policy.current())
    data = {k: ("on" if v is True else v) for k, v in initial.items() if v not in (None, False)}
    return {**data, **changes}


def test_a_policy_change_on_the_routing_page_is_shown_there_and_outlives_its_author(
    client, manager
):
    url = reverse("manage:routing_policy")
    client.force_login(manager)
    assert (
        client.post(url, routing_form(enterprise_threshold="150000", apply="1")).status_code == 302
    )
    page = client.get(url).content.decode()
    assert 'id="policy-audit"' in page and "150000" in page and "Claudia Jansen" in page

    LogEntry.objects.all().delete()
    manager.delete()
    client.force_login(StaffFactory(role=Role.CHANNEL_MANAGER).user)
    page = client.get(url).content.decode()
    assert "250000" in page and "150000" in page and "Claudia Jansen" in page
