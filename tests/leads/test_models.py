"""What the database itself guarantees, whatever the code above it does."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from leads.models import Lead, LeadEvent, Queue
from tests.factories import DealerFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_lead(**owners):
    return Lead.objects.create(
        company_name="Van Dijk Techniek B.V.",
        country="NL",
        postcode="3011 AB",
        source=Lead.Source.API,
        **owners,
    )


def test_a_lead_with_one_owner_is_accepted():
    lead = make_lead(owner_dealer=DealerFactory())
    assert lead.owner_kind == "dealer"
    assert lead.company_normalized == "van dijk techniek"


@pytest.mark.parametrize(
    "owners",
    [
        pytest.param({}, id="no owner"),
        pytest.param({"dealer": True, "user": True}, id="dealer and user"),
        pytest.param({"dealer": True, "queue": True}, id="dealer and queue"),
        pytest.param({"dealer": True, "user": True, "queue": True}, id="all three"),
    ],
)
def test_the_database_refuses_a_lead_without_exactly_one_owner(owners):
    values = {}
    if owners.get("dealer"):
        values["owner_dealer"] = DealerFactory()
    if owners.get("user"):
        values["owner_user"] = UserFactory()
    if owners.get("queue"):
        values["owner_queue"] = Queue.objects.get(pk=Queue.POOL)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_lead(**values)


def test_source_and_external_id_are_unique_together():
    dealer = DealerFactory()
    Lead.objects.create(
        company_name="A", country="NL", source="api", external_id="x1", owner_dealer=dealer
    )
    Lead.objects.create(
        company_name="B", country="NL", source="csv", external_id="x1", owner_dealer=dealer
    )
    Lead.objects.create(company_name="C", country="NL", source="api", owner_dealer=dealer)
    Lead.objects.create(company_name="D", country="NL", source="api", owner_dealer=dealer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(
            company_name="E", country="NL", source="api", external_id="x1", owner_dealer=dealer
        )


def test_events_cannot_be_updated_or_deleted_through_the_orm():
    event = LeadEvent.objects.create(lead=make_lead(owner_dealer=DealerFactory()), kind="created")
    event.kind = "routed"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        LeadEvent.objects.filter(pk=event.pk).update(kind="routed")
    with pytest.raises(ValidationError):
        LeadEvent.objects.filter(pk=event.pk).delete()
    assert LeadEvent.objects.get(pk=event.pk).kind == "created"


def test_events_cannot_be_updated_even_with_raw_sql():
    event = LeadEvent.objects.create(lead=make_lead(owner_dealer=DealerFactory()), kind="created")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE leads_leadevent SET kind = 'routed' WHERE id = %s", [event.pk])
    assert LeadEvent.objects.get(pk=event.pk).kind == "created"


@pytest.mark.postgres
def test_events_cannot_be_deleted_with_raw_sql_on_postgres():
    event = LeadEvent.objects.create(lead=make_lead(owner_dealer=DealerFactory()), kind="created")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM leads_leadevent WHERE id = %s", [event.pk])
    assert LeadEvent.objects.filter(pk=event.pk).exists()


def test_a_won_lead_needs_its_value():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_lead(owner_dealer=DealerFactory(), status=Lead.Status.WON)


def test_a_leads_address_is_its_detail_page_under_any_script_prefix():
    from django.urls import reverse, set_script_prefix

    try:
        for prefix in ("/", "/portal/", "/98765/"):
            set_script_prefix(prefix)
            for pk in (1, 98765, 98765432109876543210):
                assert Lead(pk=pk).get_absolute_url() == reverse("leads:detail", args=[pk])
    finally:
        set_script_prefix("/")
