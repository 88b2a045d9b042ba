"""Declare the events exchange and every consumer's durable queue and bindings (idempotent).

Run before the first event is published (``make run`` and the deployment's
migration job do): a topic exchange drops messages that no queue is bound to yet.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from kombu.exceptions import OperationalError

from apps.messaging import broker
from apps.messaging.registry import consumers
from apps.messaging.runner import ConsumerRunner
from apps.platform.commands import OrderflowCommand


class Command(OrderflowCommand):
    help = "Declare the events exchange, the consumers' queues and their bindings on the events broker."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with broker.connection(connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=1, timeout=5)
                queues = ConsumerRunner(consumers()).declare(conn)
        except (OSError, OperationalError) as exc:
            raise CommandError(f"events broker unavailable: {exc}") from None
        for queue in queues:
            keys = ", ".join(b.routing_key for b in queue.bindings)
            self.stdout.write(f"queue {queue.name} bound to {keys}")
