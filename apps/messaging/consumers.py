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

import contextlib
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu import Connection, Consumer, Exchange, Message, Producer, Queue, binding

from apps.messaging import broker
from apps.messaging.models import DeliveryFailure, InboxEntry

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


def deliver(consumer: EventConsumer, envelope: Envelope) -> bool:
    """Handle ``envelope`` once: False when the inbox says it was handled before."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                InboxEntry.objects.create(
                    consumer=consumer.name, event_id=envelope["event_id"], event_type=envelope["event_type"]
                )
        except IntegrityError:
            return False
        consumer.handle(envelope)
    # Handled at last (a retry, or a requeued dead letter): nothing of this event is failing any more.
    DeliveryFailure.objects.filter(consumer=consumer.name, event_id=envelope["event_id"]).delete()
    return True


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


class ConsumerRunner:
    """Runs consumers on one connection until told to stop."""

    def __init__(self, consumers: Sequence[EventConsumer], *, max_attempts: int | None = None) -> None:
        if not consumers:
            raise ValueError("no consumers to run")
        self.consumers = list(consumers)
        self.max_attempts = max_attempts or settings.CONSUMER_MAX_ATTEMPTS
        self.handled = 0

    def declare(self, conn: Connection) -> list[Queue]:
        amqp = broker.is_amqp(conn)
        channel = conn.default_channel
        broker.events_exchange()(channel).declare()
        if amqp:
            dead = broker.dead_letter_exchange()
            dead(channel).declare()
            Queue("orderflow.dead-letters", exchange=dead, routing_key="#", durable=True)(channel).declare()
        queues = [consumer.queue(dead_letters=amqp) for consumer in self.consumers]
        for queue in queues:
            queue(channel).declare()
        return queues

    def run(
        self,
        conn: Connection,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        idle_timeout: float | None = None,
        poll: float = 1.0,
    ) -> int:
        """Consume until ``should_stop()`` or ``idle_timeout`` seconds without a message; return how many."""
        queues = self.declare(conn)
        by_queue = {consumer.queue_name: consumer for consumer in self.consumers}
        idle_since = time.monotonic()
        consumers = [
            Consumer(
                conn.default_channel,
                queues=[queue],
                callbacks=[self._callback(by_queue[queue.name])],
                on_decode_error=self._decode_error(by_queue[queue.name]),
                accept=["json"],
                prefetch_count=50,
            )
            for queue in queues
        ]
        for consumer in consumers:
            consumer.consume()
        try:
            while not should_stop():
                before = self.handled
                with contextlib.suppress(TimeoutError):
                    conn.drain_events(timeout=poll)
                if self.handled != before:
                    idle_since = time.monotonic()
                elif idle_timeout is not None and time.monotonic() - idle_since >= idle_timeout:
                    break
        finally:
            for consumer in consumers:
                consumer.cancel()
        return self.handled

    def _callback(self, consumer: EventConsumer) -> Callable[[Any, Message], None]:
        def on_message(body: Any, message: Message) -> None:
            self.handle_message(consumer, body, message)

        return on_message

    def _decode_error(self, consumer: EventConsumer) -> Callable[[Message, Exception], None]:
        def on_decode_error(message: Message, exc: Exception) -> None:
            self.handle_undecodable(consumer, message, exc)

        return on_decode_error

    def handle_undecodable(self, consumer: EventConsumer, message: Message, exc: Exception) -> None:
        """A body that is not JSON (or not sent as JSON) is malformed: dead at once, not raised out of the loop."""
        problem = f"the message body cannot be decoded as JSON ({message.content_type}): {type(exc).__name__}: {exc}"
        with structlog.contextvars.bound_contextvars(consumer=consumer.name):
            record_failure(consumer, message.body, problem, max_attempts=self.max_attempts)
            log.error("malformed message dead-lettered", error=problem)
            message.reject(requeue=False)
            self.handled += 1

    def handle_message(self, consumer: EventConsumer, body: Any, message: Message) -> None:
        problem = malformed(body)
        context = {"consumer": consumer.name}
        if problem is None:
            context.update(
                event_id=str(body["event_id"]), event_type=body["event_type"], correlation_id=body.get("correlation_id")
            )
        with structlog.contextvars.bound_contextvars(**context):
            if problem is not None:
                record_failure(consumer, body, problem, max_attempts=self.max_attempts)
                log.error("malformed message dead-lettered", error=problem)
                message.reject(requeue=False)
                self.handled += 1
                return
            try:
                first_time = deliver(consumer, body)
            except Exception as exc:
                failure = record_failure(consumer, body, f"{type(exc).__name__}: {exc}", max_attempts=self.max_attempts)
                if failure.status == DeliveryFailure.Status.DEAD:
                    log.error("event dead-lettered", attempts=failure.attempts, error=failure.last_error)
                    message.reject(requeue=False)
                else:
                    log.warning("event failed; will retry", attempts=failure.attempts, error=failure.last_error)
                    time.sleep(retry_delay(failure.attempts))
                    message.requeue()
                self.handled += 1
                return
            message.ack()
            self.handled += 1
            log.debug("event handled" if first_time else "duplicate event ignored")


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
