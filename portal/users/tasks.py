"""Thin tasks: take ids, call one service."""

from celery import shared_task

from portal.users import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notifications(ids: list[int]) -> int:
    return services.notifications_deliver(ids=ids)


@shared_task
def deliver_pending_notifications() -> int:
    """The outbox sweep: whatever was not delivered yet (broker or worker was down)."""
    return services.notifications_deliver()


@shared_task
def send_daily_digests() -> int:
    return services.notifications_send_digests()


@shared_task
def clear_expired_sessions() -> int:
    """Every night: delete the sessions that ended (what ``manage.py clearsessions`` does)."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    deleted, _rows = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
