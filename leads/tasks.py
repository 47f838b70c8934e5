"""Thin tasks: take ids, call one service."""

from celery import shared_task

from leads.services import sla


@shared_task
def sla_sweep() -> str:
    """Every minute (beat): act on every SLA clock that ran out, once."""
    return sla.sweep_summary(sla.sla_sweep())


@shared_task
def confirm_receipt(lead_id: int) -> bool:
    """After-hours confirmation to the prospect, off the request path (SMTP may be slow)."""
    return sla.lead_confirm_receipt(lead_id=lead_id)


@shared_task
def confirm_pending_receipts() -> int:
    """The outbox sweep of confirmations whose task never ran (broker or worker down)."""
    return sla.receipts_confirm_pending()
