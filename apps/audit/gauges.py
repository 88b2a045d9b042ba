"""The audit trail's gauge for Prometheus, sampled (``apps.observability.sampling``): how long the oldest entry
has waited for the sealer. It grows when beat or the workers are down (ADR-0010); ``verify_audit_chain`` fails
beyond ``AUDIT_SEAL_ALERT_SECONDS``, and an alert can fire on the same bound."""

from __future__ import annotations

from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.observability import metrics


def sample() -> dict[str, float | None]:
    # The first unsealed entry by id, through the partial index audit_unsealed_idx: one row read.
    oldest = AuditEntry.objects.filter(hash__isnull=True).order_by("id").values_list("occurred_at", flat=True).first()
    age = 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())
    return {metrics.AUDIT_UNSEALED_OLDEST_AGE.name: age}
