"""Declare the events exchange and every consumer's durable queue and bindings (idempotent).

Run before the first event is published (``make run`` and the deployment's
migration job do): a topic exchange drops messages that no queue is bound to yet.
On RabbitMQ it also bounds the dead-letter queue: the operator policy of
``apps.messaging.dead_letters``, set through the management HTTP API (ADR-0008).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from kombu.exceptions import OperationalError

from apps.messaging import broker
from apps.messaging.dead_letters import (
    POLICY_NAME,
    ManagementApi,
    Retention,
    RetentionError,
    apply_retention,
    management_url,
)
from apps.messaging.registry import consumers
from apps.messaging.runner import ConsumerRunner
from apps.platform.commands import OrderflowCommand

DONE = {
    "set": "bounded by operator policy {policy}: {bound}",
    "unchanged": "bounded by operator policy {policy} (unchanged): {bound}",
    "removed": "unbounded: operator policy {policy} removed",
    "unbounded": "unbounded (no bound configured)",
}


class Command(OrderflowCommand):
    help = (
        "Declare the events exchange, the consumers' queues and their bindings on the events broker; on "
        "RabbitMQ, bound the dead-letter queue (EVENTS_DEAD_LETTER_MAX_LENGTH, EVENTS_DEAD_LETTER_RETENTION_DAYS) "
        "with an operator policy set through the management API (EVENTS_BROKER_MANAGEMENT_URL). Exits 1 when "
        "the broker or the management API cannot be reached."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--skip-retention",
            action="store_true",
            help="Leave the dead-letter queue's bound alone (where the policy is set otherwise: a definitions "
            "file, rabbitmqctl set_operator_policy).",
        )

    def handle(self, *args: Any, skip_retention: bool, **options: Any) -> None:
        try:
            with broker.connection(connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=1, timeout=5)
                queues = ConsumerRunner(consumers()).declare(conn)
                amqp, vhost, url = broker.is_amqp(conn), conn.virtual_host, management_url(conn)
        except (OSError, OperationalError) as exc:
            raise CommandError(f"events broker unavailable: {exc}") from None
        for queue in queues:
            keys = ", ".join(b.routing_key for b in queue.bindings)
            self.stdout.write(f"queue {queue.name} bound to {keys}")
        if not amqp or skip_retention:
            return
        retention = Retention.configured()
        try:
            done = apply_retention(ManagementApi(url), vhost=vhost, retention=retention)
        except RetentionError as exc:
            raise CommandError(
                f"dead-letter queue not bounded: {exc} (--skip-retention where a definitions file or "
                "rabbitmqctl sets the policy)"
            ) from None
        message = DONE[done].format(policy=POLICY_NAME, bound=retention.describe())
        self.stdout.write(f"dead-letter queue {settings.EVENTS_DEAD_LETTER_QUEUE} {message}")
