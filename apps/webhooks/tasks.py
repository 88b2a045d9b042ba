"""Celery tasks of outbound webhooks: sending a delivery, beat's sweep of due ones, and the purge.
Each takes keyword arguments only."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import structlog
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.webhooks import history, sending

log = structlog.get_logger(__name__)

#: Deliveries one sweep queues at most; a larger backlog is worked off over the next sweeps.
SWEEP_BATCH = 500


@shared_task(name="webhooks.send", ignore_result=True)
def send_delivery(*, delivery_id: str) -> str:
    """Send one delivery if it is due and its endpoint has a free slot (``apps.webhooks.sending``),
    then hand the slot on to the endpoint's next due delivery."""
    id = UUID(delivery_id)
    sent = sending.send(id)
    if sent is sending.Sent.SENT:
        following = sending.next_due(id, now=timezone.now())
        if following is not None:
            send_delivery.delay(delivery_id=str(following))
    return sent.value


@shared_task(name="webhooks.send_due", ignore_result=True)
def send_due_deliveries() -> int:
    """Beat's tick: queue the deliveries that are due (retries, and any whose first send was missed)."""
    ids = sending.due(now=timezone.now(), limit=SWEEP_BATCH)
    for id in ids:
        send_delivery.delay(delivery_id=str(id))
    return len(ids)


@shared_task(name="webhooks.purge_history", ignore_result=True)
def purge_history() -> int:
    """Beat's daily purge: finished deliveries, with their attempts, older than
    ``WEBHOOKS_HISTORY_RETENTION_DAYS`` (0: kept for good)."""
    days = settings.WEBHOOKS_HISTORY_RETENTION_DAYS
    if days <= 0:
        return 0
    deleted = history.purge(before=timezone.now() - timedelta(days=days))
    if deleted:
        log.info("webhook deliveries purged", count=deleted, days=days)
    return deleted
