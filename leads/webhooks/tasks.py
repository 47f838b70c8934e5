"""The webhooks' task (thin: it calls the service). Kept apart from ``leads.tasks``,
which imports the SLA sweep: the services that write events queue it."""

from celery import shared_task

from leads.services import webhooks


@shared_task
def deliver_pending_webhooks() -> int:
    """Send the webhook deliveries that are due: after an event's commit, and every 30 s
    for retries and whatever a lost publish left waiting."""
    return webhooks.deliver()
