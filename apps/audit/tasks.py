"""Celery tasks of the audit trail."""

from __future__ import annotations

import structlog
from celery import shared_task
from django.conf import settings

from apps.audit import recorder

log = structlog.get_logger(__name__)


@shared_task(name="audit.purge_expired", ignore_result=True)
def purge_expired_audit_entries() -> int:
    """Beat's daily retention purge: entries older than ``AUDIT_RETENTION_DAYS`` (0: keep them all)."""
    days = settings.AUDIT_RETENTION_DAYS
    if days <= 0:
        return 0
    deleted, last = recorder.purge_older_than(days)
    if last is not None:
        log.info("audit entries purged; the chain is anchored at the last one", count=deleted, through=last, days=days)
    return deleted
