"""Celery tasks of the outbox. Each is safe to run twice and takes keyword arguments only."""

from __future__ import annotations

import threading
from datetime import timedelta

import structlog
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.messaging.publisher import BrokerUnavailable
from apps.outbox.dispatcher import OutboxDispatcher
from apps.outbox.models import OutboxEntry

log = structlog.get_logger(__name__)

_local = threading.local()


def dispatcher() -> OutboxDispatcher:
    """One per worker thread, so its broker connection is reused across ticks but never shared."""
    if getattr(_local, "dispatcher", None) is None:
        _local.dispatcher = OutboxDispatcher()
    return _local.dispatcher


@shared_task(name="outbox.drain", ignore_result=True, acks_late=False)
def drain_outbox(*, max_batches: int = 20) -> int:
    """Publish due outbox entries (beat runs it every second; ``wakeup.kick`` sends it after commits)."""
    try:
        return dispatcher().dispatch_pending(max_batches=max_batches)
    except BrokerUnavailable as exc:
        log.warning("events broker unavailable; outbox entries stay pending", error=str(exc))
        return 0


@shared_task(name="outbox.purge_processed", ignore_result=True)
def purge_processed_outbox(*, older_than_days: int | None = None) -> int:
    """Forget processed entries older than the retention period (they are the event history until then)."""
    days = older_than_days or settings.OUTBOX_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = OutboxEntry.objects.filter(status=OutboxEntry.Status.PROCESSED, processed_at__lt=cutoff).delete()
    log.info("processed outbox entries purged", count=deleted, older_than_days=days)
    return deleted
