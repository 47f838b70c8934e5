"""Thin tasks: call one service."""

from celery import shared_task

from dealers import allocation


@shared_task
def end_expired_weight_overrides() -> int:
    """Daily at 00:05 (beat, ``CELERY_BEAT_SCHEDULE``): clear the weight overrides whose
    end date passed, audited, and restart the split of their territories."""
    return len(allocation.overrides_end_expired())
