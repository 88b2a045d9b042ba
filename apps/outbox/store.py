"""Appending integration events to the outbox (inside the caller's transaction)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from opentelemetry.trace import Span

from apps.observability import tracing
from apps.outbox.models import OutboxEntry
from apps.outbox.wakeup import kick
from domain.kernel.events import IntegrationEvent
from domain.kernel.serialization import to_primitive


def append(events: Iterable[IntegrationEvent]) -> int:
    """Write one pending row per event; returns how many were written.

    An event that carries no ``traceparent`` gets the current one (the span of this insert, inside
    the command's): the dispatcher and the consumers continue that trace.
    """
    pending = list(events)
    if not pending:
        return 0
    with tracing.span("outbox append") as span:
        return _append(pending, span)


def _append(events: list[IntegrationEvent], span: Span | None) -> int:
    traceparent = tracing.traceparent()
    rows = [
        OutboxEntry(
            id=event.event_id,
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            aggregate_version=event.aggregate_version,
            event_type=event.event_type,
            event_version=event.event_version,
            payload=to_primitive(event.payload),
            occurred_at=event.occurred_at,
            correlation_id=event.correlation_id or "",
            causation_id=event.causation_id or "",
            traceparent=event.traceparent or traceparent,
        )
        for event in events
    ]
    if span is not None:
        span.set_attributes(
            {"orderflow.events": len(rows), "orderflow.event_types": sorted({row.event_type for row in rows})}
        )
    OutboxEntry.objects.bulk_create(rows)
    if rows and settings.OUTBOX_KICK_ON_COMMIT:
        transaction.on_commit(kick, robust=True)
    return len(rows)
