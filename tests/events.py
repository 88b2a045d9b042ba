"""Deliver the events a test produced: drain the outbox to the broker, then run the consumers until idle.

The same dispatcher, broker and consumers as production, run in-process: the
in-memory transport by default, RabbitMQ in the integration run.
"""

from __future__ import annotations

from apps.core.event_handlers import CONSUMERS
from apps.messaging import broker
from apps.messaging.consumers import ConsumerRunner, EventConsumer
from apps.outbox.dispatcher import OutboxDispatcher


def deliver_events(*consumers: EventConsumer) -> int:
    """Publish every pending outbox entry and let the consumers handle them; returns messages handled.

    Goes round until the outbox stays empty: a policy's command (an invoice issued
    for a placed order, say) leaves new events that other consumers are waiting for.
    """
    runner = ConsumerRunner(consumers or CONSUMERS)
    handled = 0
    with broker.connection() as conn:
        for queue in runner.declare(conn):
            queue(conn.default_channel).purge()  # leftovers of earlier runs are not this test's events
        while OutboxDispatcher().dispatch_pending():
            handled += runner.run(conn, idle_timeout=0, poll=0.05)
    return handled
