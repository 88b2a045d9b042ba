"""Declare the events exchange and every consumer's durable queue and bindings (idempotent).

Run before the first event is published (``make run`` and the deployment's
migration job do): a topic exchange drops messages that no queue is bound to yet.
With ``EVENTS_CONSUMER_SHARDS`` = N it declares N queues per consumer; after a
change of N, ``--retire-shards OLD`` unbinds the old layout's queues (after the
new ones are bound, so no event falls between them) and deletes those that are
empty and unused (docs/ops/scaling-strategy.md, "Resharding").
On RabbitMQ it also bounds the dead-letter queue: the operator policy of
``apps.messaging.dead_letters``, set through the management HTTP API (ADR-0008).
"""

from __future__ import annotations

import contextlib
from typing import Any

from amqp.exceptions import NotFound, PreconditionFailed
from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from kombu import Connection, Queue
from kombu.exceptions import OperationalError

from apps.messaging import broker, routing
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


def retired_queues(shards: int, dead_letters: bool) -> list[Queue]:
    """Every consumer's queues of the ``shards``-shard layout."""
    return [
        consumer.queue(dead_letters=dead_letters, shard=shard, shards=shards)
        for consumer in consumers()
        for shard in range(shards)
    ]


def retire(conn: Connection, queue: Queue) -> str:
    """Unbind ``queue`` from the events exchange; delete it if nothing is left in it or reading it. What was done."""
    channel = conn.channel()
    try:
        try:
            _, messages, readers = channel.queue_declare(queue.name, passive=True)
        except NotFound:
            return f"retired queue {queue.name}: absent"
        for bound in queue.bindings:
            channel.queue_unbind(queue.name, settings.EVENTS_EXCHANGE, routing_key=bound.routing_key)
        if messages == 0 and readers == 0:
            try:
                channel.queue_delete(queue.name, if_empty=True, if_unused=True)
            except PreconditionFailed:  # a message or a runner arrived since the look above
                return (
                    f"retired queue {queue.name}: unbound; not deleted, a message or a runner arrived meanwhile: "
                    "run this command again once it is empty and unread"
                )
            return f"retired queue {queue.name}: unbound, empty, deleted"
        return (
            f"retired queue {queue.name}: unbound; {messages} message(s) left, {readers} runner(s) reading it: "
            "let its runner drain it, stop that runner, then run this command again"
        )
    finally:
        with contextlib.suppress(Exception):
            channel.close()


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

        parser.add_argument(
            "--retire-shards",
            type=int,
            metavar="OLD",
            help="After a change of EVENTS_CONSUMER_SHARDS from OLD: unbind the OLD-shard queues (they keep their "
            "messages for the runners still draining them) and delete those that are empty and have no runner. "
            "RabbitMQ only.",
        )

    def handle(self, *args: Any, skip_retention: bool, retire_shards: int | None, **options: Any) -> None:
        shards = settings.EVENTS_CONSUMER_SHARDS
        if retire_shards is not None:
            try:
                routing.check_shards(retire_shards)
            except ValueError as exc:
                raise CommandError(f"--retire-shards: {exc}") from None
            if retire_shards == shards:
                raise CommandError(f"--retire-shards {retire_shards} is the layout in use (EVENTS_CONSUMER_SHARDS)")
        retired: list[str] = []
        try:
            with broker.connection(connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=1, timeout=5)
                queues = ConsumerRunner(consumers(), shards=shards).declare(conn)
                amqp, vhost, url = broker.is_amqp(conn), conn.virtual_host, management_url(conn)
                if retire_shards is not None:
                    if not amqp:
                        raise CommandError("--retire-shards needs RabbitMQ (an amqp:// EVENTS_BROKER_URL)")
                    retired = [retire(conn, queue) for queue in retired_queues(retire_shards, amqp)]
        except (OSError, OperationalError) as exc:
            raise CommandError(f"events broker unavailable: {exc}") from None
        for queue in queues:
            keys = ", ".join(b.routing_key for b in queue.bindings)
            self.stdout.write(f"queue {queue.name} bound to {keys}")
        for line in retired:
            self.stdout.write(line)
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
