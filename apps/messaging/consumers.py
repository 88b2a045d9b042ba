"""Consumers of integration events: each has its own durable queue, where the events it binds to wait for it.

A consumer is a name, the event types it binds to (topic patterns such as
``users.#``) and a handler, optionally with a batch handler for many events at
once. Its queue, ``orderflow.<name>`` (or one per shard, ``apps.messaging.routing``),
survives broker restarts and, on RabbitMQ, sends the messages it rejects to the
dead-letter exchange. A handler
that cannot apply an event yet (an earlier event of the aggregate has not
arrived) raises ``RetryLater``. ``malformed`` says why a message body is not
an envelope.

Handling an event once is ``apps.messaging.inbox``; retries and dead letters,
``apps.messaging.failures``; the consume loop, ``apps.messaging.runner``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from kombu import Queue, binding

from apps.messaging import broker, routing

Envelope = Mapping[str, Any]
REQUIRED_FIELDS = ("event_id", "event_type", "aggregate_id", "aggregate_version", "payload")


class RetryLater(Exception):
    """The event cannot be applied yet; deliver it again later."""


@dataclass(frozen=True)
class EventConsumer:
    name: str
    binding_keys: tuple[str, ...]
    handle: Callable[[Envelope], None]
    #: Applies many new events at once and returns the positions that must wait (``RetryLater``)
    #: with the reason; consumers that have one keep up with the outbox at a fraction of the cost.
    handle_batch: Callable[[Sequence[Envelope]], dict[int, str]] | None = None

    @property
    def queue_name(self) -> str:
        """The queue of the one-shard layout (the default)."""
        return f"orderflow.{self.name}"

    def shard_queue_name(self, shard: int, shards: int) -> str:
        """``orderflow.<name>`` with one shard, ``orderflow.<name>.shard-<K>-of-<N>`` with N: a layout's own names."""
        return self.queue_name if shards == 1 else f"{self.queue_name}.shard-{shard}-of-{shards}"

    def queue(self, *, dead_letters: bool, shard: int = 0, shards: int = 1) -> Queue:
        """Shard ``shard`` of ``shards`` of this consumer's queue, with its bindings (``apps.messaging.routing``)."""
        exchange = broker.events_exchange()
        arguments = {"x-dead-letter-exchange": settings.EVENTS_DEAD_LETTER_EXCHANGE} if dead_letters else None
        return Queue(
            self.shard_queue_name(shard, shards),
            exchange=exchange,
            bindings=[
                binding(exchange, routing_key=key)
                for key in routing.shard_binding_keys(self.binding_keys, shard, shards)
            ],
            durable=True,
            queue_arguments=arguments,
        )

    def queue_for(self, envelope: Envelope, *, dead_letters: bool, shards: int) -> Queue:
        """The shard queue ``envelope``'s stream lands in (shard 0 for a body that is no envelope)."""
        shard = routing.shard_of(envelope, shards) if malformed(envelope) is None else 0
        return self.queue(dead_letters=dead_letters, shard=shard, shards=shards)


def malformed(body: Any) -> str | None:
    """Why ``body`` is not an envelope, or None when it is one."""
    if not isinstance(body, Mapping):
        return f"the message body is {type(body).__name__}, not a JSON object"
    missing = [name for name in REQUIRED_FIELDS if name not in body]
    if missing:
        return f"the envelope lacks {', '.join(missing)}"
    try:
        uuid.UUID(str(body["event_id"]))
    except ValueError:
        return "the envelope's event_id is not a UUID"
    return None
