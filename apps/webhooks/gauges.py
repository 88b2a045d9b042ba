"""The webhooks' gauges for Prometheus, sampled (``apps.observability.sampling``): what is due and
how long it has waited (through the partial index of pending deliveries), and the endpoints orderflow
disabled itself (a person's disabling is no alarm)."""

from __future__ import annotations

from django.utils import timezone

from apps.observability import metrics
from apps.webhooks.models import Delivery, DeliveryStatus, DisableCause, Endpoint


def sample() -> dict[str, float | None]:
    now = timezone.now()
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__enabled=True)
    oldest = due.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    return {
        metrics.WEBHOOK_DELIVERIES_DUE.name: due.count(),
        metrics.WEBHOOK_OLDEST_DUE_AGE.name: 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
        metrics.WEBHOOK_ENDPOINTS_AUTO_DISABLED.name: Endpoint.objects.filter(
            enabled=False, disabled_cause__in=(DisableCause.GONE, DisableCause.FAILING)
        ).count(),
    }
