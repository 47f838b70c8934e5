"""The demo's webhooks: the manufacturer's CRM and one dealer's ERP, each with a log of
recent deliveries. Both are switched off (nothing listens at their addresses), so the
demo sends nothing anywhere; a user can point one at a receiver and switch it on."""

import random
import uuid
from datetime import timedelta

from django.utils.translation import gettext_noop

from leads.models import Lead, WebhookDelivery, WebhookEndpoint, WebhookEvent
from leads.services import webhooks
from leads.webhooks.payloads import lead_data
from portal.users.models import Role

PAUSED = gettext_noop("Switched off in the demo: nothing listens at this address.")


def build_webhooks(*, staff: dict, dealers: dict, now) -> int:
    """Two endpoints with their logs, once; returns how many deliveries were written."""
    if WebhookEndpoint.objects.exists():
        return 0
    rng = random.Random(16)
    dealer = dealers["Rijnmond Industrie Service B.V."]
    admin = dealer.memberships.filter(role=Role.DEALER_ADMIN).select_related("user").first()
    crm = WebhookEndpoint.objects.create(
        dealer=None,
        url="https://crm.demo.dealerportal.eu/hooks/dealer-portal",
        description="CRM",
        events=list(WebhookEvent.values),
        language="en",
        secret=webhooks.new_secret(),
        is_active=False,
        disabled_at=now,
        disabled_reason=PAUSED,
        created_by=staff["claudia.jansen"],
        created_at=now - timedelta(days=60),
    )
    erp = WebhookEndpoint.objects.create(
        dealer=dealer,
        url="https://erp.rijnmond-industrie.example/portal-events",
        description="ERP",
        events=[WebhookEvent.LEAD_ASSIGNED, WebhookEvent.LEAD_RECYCLED],
        language="nl",
        secret=webhooks.new_secret(),
        is_active=False,
        disabled_at=now,
        disabled_reason=PAUSED,
        created_by=admin.user if admin else None,
        created_at=now - timedelta(days=45),
    )
    rows = []
    for endpoint, leads in (
        (crm, Lead.objects.filter(created_at__lt=now).order_by("-created_at")[:30]),
        (erp, Lead.objects.filter(owner_dealer=dealer).order_by("-assigned_at")[:30]),
    ):
        audience = webhooks.STAFF if endpoint.dealer_id is None else webhooks.DEALER
        for number, lead in enumerate(leads):
            at = lead.assigned_at or lead.created_at
            event_id = uuid.uuid4()
            body = webhooks.envelope(
                event_id, WebhookEvent.LEAD_ASSIGNED, at, lead_data(lead, audience)
            )
            retried = number % 11 == 3  # now and then the receiver was down for a minute
            rows.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    event_id=event_id,
                    event_type=WebhookEvent.LEAD_ASSIGNED,
                    subject=f"lead:{lead.pk}",
                    body=body,
                    created_at=at,
                    state=WebhookDelivery.State.DELIVERED,
                    attempts=3 if retried else 1,
                    next_attempt_at=at,
                    last_attempt_at=at + timedelta(seconds=90 if retried else 1),
                    response_code=200,
                    duration_ms=rng.randint(60, 420),
                    delivered_at=at + timedelta(seconds=90 if retried else 1),
                )
            )
    WebhookDelivery.objects.bulk_create(rows)
    return len(rows)
