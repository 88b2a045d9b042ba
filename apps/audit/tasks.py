"""Celery tasks of the audit trail."""

from __future__ import annotations

import io

import structlog
from celery import shared_task
from django.conf import settings
from django.core.management import CommandError, call_command

from apps.audit import recorder, sealer

log = structlog.get_logger(__name__)

SEAL_BUDGET_SECONDS = 5.0
"""A tick stops sealing after this long, so a large backlog is worked off over several ticks."""


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


@shared_task(name="audit.seal", ignore_result=True, acks_late=False)
def seal_audit_entries() -> int:
    """Beat's tick, every second: link the entries committed since the last tick into the hash chain."""
    return sealer.seal_pending(within=SEAL_BUDGET_SECONDS)


@shared_task(name="audit.verify", ignore_result=True)
def verify_audit_chain() -> bool:
    """Beat's daily walk of the chain, as ``manage.py verify_audit_chain --quiet``: its gauges
    (``orderflow_audit_chain_intact``, ``..._verified_timestamp_seconds``) are then never older than a day.

    A broken chain, or entries left unsealed too long, is an error line here and a 0 for the gauge
    (the broken chain) or a growing age (``orderflow_audit_unsealed_oldest_age_seconds``): the alerts'.
    """
    try:
        call_command("verify_audit_chain", "--quiet", stdout=io.StringIO())  # the gauges and the log say it all
    except CommandError as exc:
        log.error("audit chain verification failed", reason=str(exc))
        return False
    return True
