"""The broker is down: intake, a status update and the SLA sweep still succeed, their
notifications wait in the outbox, and go out exactly once when the worker is back."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from leads.models import Integration, Lead
from leads.services import pipeline
from leads.services.api_keys import api_key_create
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from leads.services.sla import sla_sweep
from portal.celery import app as celery_app
from portal.users.models import Notification, Role
from portal.users.tasks import deliver_pending_notifications
from tests.factories import DealerFactory, DealerMemberFactory, territory_with

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_notifications_wait_for_the_broker_and_go_out_once(
    broker_at, client, django_capture_on_commit_callbacks
):
    broker_at(DEAD_BROKER)
    dealer = DealerFactory()
    people = [
        DealerMemberFactory(dealer=dealer, role=Role.DEALER_ADMIN).user,
        DealerMemberFactory(dealer=dealer).user,
    ]
    territory_with(name="NL Rijnmond", ranges=[(3000, 3299)], owners=[(dealer, 1)])
    integration = Integration.objects.create(name="Website", kind=Integration.Kind.WEB_FORM)
    _key, secret = api_key_create(name="site", integration=integration)
    payload = {
        "company_name": "Havenbedrijf Techniek B.V.",
        "country": "NL",
        "postcode": "3011 AB",
        "contact_email": "jan@havenbedrijf.example",
    }

    # Intake over the API while the broker is unreachable: the lead is created and routed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/leads/",
            payload,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {secret}",
        )
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["id"])
    assigned = Notification.objects.filter(kind=Notification.Kind.ASSIGNED)
    assert {n.recipient_id for n in assigned} == {u.pk for u in people}

    # A status update and the sweep work too (a second lead gets its reminder).
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.lead_accept(
            lead=lead,
            actor=people[1],
            next_step="Call to plan a demo",
            next_step_on=(lead.created_at + timedelta(days=1)).date(),
            now=lead.created_at,
        )
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)
    other = lead_intake(
        data=clean_lead_fields(
            {**payload, "company_name": "Maas Logistiek", "contact_email": "kees@maas.example"}
        ),
        source="api",
        now=monday,
    ).lead
    with django_capture_on_commit_callbacks(execute=True):
        run = sla_sweep(now=monday + timedelta(days=2))
    assert run.reminders == 1
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER, lead=other).count() == 2

    # Nothing was e-mailed to anyone in the portal: every notification is in the outbox.
    # (A prospect's after-hours confirmation would wait in the outbox too.)
    users = {n.recipient.email for n in Notification.objects.select_related("recipient")}
    assert not [m for m in mail.outbox if m.to[0] in users]
    mail.outbox.clear()
    pending = Notification.objects.filter(send_email=True, emailed_at__isnull=True)
    total = pending.count()
    assert total == Notification.objects.count() >= 6

    # The worker is back: the periodic outbox sweep sends each one, once.
    celery_app.conf.task_always_eager = True
    assert deliver_pending_notifications.apply().get() == total
    assert deliver_pending_notifications.apply().get() == 0
    assert len(mail.outbox) == total
    assert not pending.exists()
    assert {m.to[0] for m in mail.outbox if lead.company_name in m.subject} == {
        u.email for u in people
    }
