"""Consumers of integration events: one durable queue each, an inbox for de-duplication.

A consumer is a name, the event types it binds to (topic patterns such as
``users.#``) and a handler. ``deliver`` runs the handler and records the event
in the inbox in one transaction, so an event redelivered after a crash, a
timeout or a replay has no second effect. A handler that cannot apply an event
yet (an earlier event of the aggregate has not arrived) raises ``RetryLater``.
Failures are retried with backoff; after ``CONSUMER_MAX_ATTEMPTS`` the event is
dead: a ``DeliveryFailure`` row (visible and requeueable in the admin) and, on
RabbitMQ, a message on the dead-letter exchange.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu import Exchange, Message, Producer, Queue, binding

from apps.messaging import broker
from apps.messaging.models import DeliveryFailure

log = structlog.get_logger(__name__)

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
        return f"orderflow.{self.name}"

    def queue(self, *, dead_letters: bool) -> Queue:
        exchange = broker.events_exchange()
        arguments = {"x-dead-letter-exchange": settings.EVENTS_DEAD_LETTER_EXCHANGE} if dead_letters else None
        return Queue(
            self.queue_name,
            exchange=exchange,
            bindings=[binding(exchange, routing_key=key) for key in self.binding_keys],
            durable=True,
            queue_arguments=arguments,
        )


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


def record_failure(consumer: EventConsumer, envelope: Any, error: str, *, max_attempts: int) -> DeliveryFailure:
    """Count one more failed attempt; the failure is dead once the attempts run out."""
    valid = malformed(envelope) is None
    event_id = envelope["event_id"] if valid else uuid.uuid4()
    with transaction.atomic():
        failure, _ = DeliveryFailure.objects.select_for_update().get_or_create(
            consumer=consumer.name,
            event_id=event_id,
            defaults={
                "event_type": str(envelope.get("event_type", ""))[:100] if valid else "",
                "envelope": envelope if isinstance(envelope, Mapping) else {"body": repr(envelope)[:10_000]},
            },
        )
        failure.attempts += 1
        failure.last_error = error[:4000]
        if failure.attempts >= max_attempts or not valid:
            failure.status = DeliveryFailure.Status.DEAD
        else:
            failure.status = DeliveryFailure.Status.RETRYING
        failure.save()
    return failure


def retry_delay(attempts: int) -> float:
    """Seconds to wait before a redelivery: 0.1 s doubling, at most 5 s (the consumer waits in place)."""
    return min(5.0, 0.1 * 2 ** (attempts - 1))


def retry_or_dead_letter(
    consumer: EventConsumer, envelope: Envelope, message: Message, error: str, *, max_attempts: int, hold: bool
) -> float:
    """Count one more failed attempt at ``envelope``, then dead-letter its message or requeue it.

    Once the attempts run out the message is rejected (on RabbitMQ, onto the
    dead-letter exchange) and 0 is returned. Before that it is requeued, and the
    backoff (``retry_delay``) returned: with ``hold`` (one message at a time) the
    backoff has been waited out before the requeue, the message held meanwhile,
    and the retry logged; without it (a batch) the message goes back at once and
    the caller waits, once, for the longest backoff of the batch.
    """
    failure = record_failure(consumer, envelope, error, max_attempts=max_attempts)
    if failure.status == DeliveryFailure.Status.DEAD:
        log.error("event dead-lettered", attempts=failure.attempts, error=failure.last_error)
        message.reject(requeue=False)
        return 0.0
    delay = retry_delay(failure.attempts)
    if hold:
        log.warning("event failed; will retry", attempts=failure.attempts, error=failure.last_error)
        time.sleep(delay)
    message.requeue()
    return delay


def requeue(failures: Sequence[DeliveryFailure], consumers: Sequence[EventConsumer]) -> int:
    """Publish dead (or retrying) events again, to their consumer's queue only.

    Raises LookupError, before anything is sent, when a failure names a consumer not in ``consumers``.
    """
    by_name = {consumer.name: consumer for consumer in consumers}
    unknown = sorted({failure.consumer for failure in failures} - set(by_name))
    if unknown:
        raise LookupError(f"no consumer is named {', '.join(map(repr, unknown))}; known: {', '.join(by_name)}")
    sent = 0
    with broker.connection() as conn:
        producer = Producer(conn.default_channel, exchange=Exchange(""))
        for failure in failures:
            consumer = by_name[failure.consumer]
            producer.publish(
                dict(failure.envelope),
                routing_key=consumer.queue_name,
                serializer="json",
                delivery_mode=broker.DELIVERY_PERSISTENT,
                declare=[consumer.queue(dead_letters=broker.is_amqp(conn))],
            )
            DeliveryFailure.objects.filter(pk=failure.pk).update(
                status=DeliveryFailure.Status.REQUEUED, attempts=0, requeued_at=timezone.now()
            )
            sent += 1
    return sent
