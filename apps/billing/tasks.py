"""Celery tasks of billing. Each is safe to run twice and takes keyword arguments only."""

from __future__ import annotations

import structlog
from celery import shared_task

from apps.billing import webhooks

log = structlog.get_logger(__name__)


@shared_task(name="billing.process_webhook_events", ignore_result=True)
def process_webhook_events(*, limit: int = 500) -> int:
    """Process payment webhooks left ``received`` by a crash (beat runs it every minute)."""
    done, crashed = webhooks.process_received(limit=limit)
    if done or crashed:
        log.info("received payment webhooks processed", processed=done, crashed=crashed)
    return done
