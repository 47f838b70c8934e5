"""Thin tasks: take ids, call one service."""

from celery import shared_task

from leads.services import sla


@shared_task
def sla_sweep() -> str:
    """Every minute (beat): act on every SLA clock that ran out, once."""
    return sla.sweep_summary(sla.sla_sweep())


@shared_task
def confirm_receipt(lead_id: int, received_at: str) -> bool:
    """After-hours confirmation to the prospect, off the request path (SMTP may be slow)."""
    from datetime import datetime

    from leads.models import Lead

    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return False
    return sla.lead_confirm_receipt(lead=lead, now=datetime.fromisoformat(received_at))
