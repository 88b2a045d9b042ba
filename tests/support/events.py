"""Deliver the events a test produced: drain the outbox to the broker, then run the consumers until idle.

The same dispatcher, broker and consumers as production, run in-process: the
in-memory transport by default, RabbitMQ in the integration run.
"""

from __future__ import annotations

from apps.composition.delivery import deliver_pending
from apps.messaging.consumers import EventConsumer


def deliver_events(*consumers: EventConsumer) -> int:
    """Publish every pending outbox entry and let the consumers handle them; returns messages handled.

    Queues are purged first: leftovers of earlier tests are not this test's events.
    """
    return deliver_pending(consumers or None, purge_first=True)
