"""Deliver pending events here, in this process: for commands that need the event flow's results at once.

The worker and the consumer processes do this continuously in a running stack.
A management command that seeds data in phases (place orders, then pay their
invoices) cannot wait for them: it publishes what the outbox holds and runs the
consumers until every queue is idle, round after round, because a policy's
command (an invoice issued for a placed order) leaves new events behind.
"""

from __future__ import annotations

from collections.abc import Sequence

from apps.messaging import broker, registry
from apps.messaging.consumers import EventConsumer
from apps.messaging.runner import ConsumerRunner
from apps.outbox.dispatcher import OutboxDispatcher


def deliver_pending(consumers: Sequence[EventConsumer] | None = None, *, purge_first: bool = False) -> int:
    """Publish the pending outbox entries and handle them until none is left; returns messages handled.

    ``purge_first`` empties the consumers' queues before starting (tests use it to
    forget what earlier tests left behind). Without ``consumers``, every installed one runs.
    """
    runner = ConsumerRunner(registry.consumers() if consumers is None else consumers)
    dispatcher = OutboxDispatcher()
    handled = 0
    try:
        with broker.connection() as conn:
            queues = runner.declare(conn)
            if purge_first:
                for queue in queues:
                    queue(conn.default_channel).purge()
            while dispatcher.dispatch_pending():
                handled += runner.run(conn, idle_timeout=0, poll=0.05)
    finally:
        dispatcher.publisher.close()
    return handled
