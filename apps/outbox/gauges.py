"""The outbox's gauges for Prometheus: its backlog and its dead entries, sampled (``apps.observability.sampling``).

Each is one indexed query however large the table grows: pending rows through the
partial index ``outbox_pending_idx`` (created_at first, so the oldest is its first
entry), dead ones through ``outbox_dead_idx``.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from apps.observability import metrics
from apps.outbox.models import OutboxEntry


def sample() -> dict[str, float | None]:
    pending = OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return {
        metrics.OUTBOX_PENDING.name: pending.count(),
        metrics.OUTBOX_OLDEST_PENDING_AGE.name: _age(oldest),
        metrics.OUTBOX_DEAD.name: OutboxEntry.objects.filter(status=OutboxEntry.Status.DEAD).count(),
    }


def _age(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    return max(0.0, (timezone.now() - moment).total_seconds())
