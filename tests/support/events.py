"""Deliver the events a test produced: drain the outbox to the broker, then run the consumers until idle.

The same dispatcher, broker and consumers as production, run in-process: the
in-memory transport by default, RabbitMQ in the integration run. ``envelope_of`` and
``publish`` make and send envelopes of a test's own, for consumers of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kombu import Producer

from apps.composition.delivery import deliver_pending
from apps.messaging import broker, routing
from apps.messaging.consumers import EventConsumer


def deliver_events(*consumers: EventConsumer) -> int:
    """Publish every pending outbox entry and let the consumers handle them; returns messages handled.

    Queues are purged first: leftovers of earlier tests are not this test's events.
    """
    return deliver_pending(consumers or None, purge_first=True)


def envelope_of(event_type: str, *, occurred_at: datetime | None = None, **payload: Any) -> dict[str, Any]:
    """A well-formed envelope of a new event of its own aggregate, as the dispatcher publishes one."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "aggregate_type": "test.thing",
        "aggregate_id": str(uuid.uuid4()),
        "aggregate_version": 1,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
        "correlation_id": None,
        "causation_id": None,
        "traceparent": None,
        "payload": payload,
    }


def publish(*envelopes: Mapping[str, Any]) -> None:
    """Through the events exchange, routed by event type and slot, as the dispatcher publishes."""
    with broker.connection() as conn:
        producer = Producer(conn.default_channel, exchange=broker.events_exchange())
        for item in envelopes:
            producer.publish(
                dict(item),
                routing_key=routing.routing_key(item),
                serializer="json",
                delivery_mode=broker.DELIVERY_PERSISTENT,
                retry=False,
            )
