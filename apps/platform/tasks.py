"""Celery tasks of the core app. Each is safe to run twice and takes keyword arguments only."""

from __future__ import annotations

import structlog
from celery import shared_task

from apps.platform import idempotency

log = structlog.get_logger(__name__)


@shared_task(name="core.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Key records past their lifetime (beat runs it daily)."""
    deleted = idempotency.purge_expired()
    log.info("expired idempotency keys purged", count=deleted)
    return deleted
