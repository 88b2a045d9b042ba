"""A failing event is never dropped and never retried forever: it is retried with backoff, then dead-lettered.

Each failed attempt is counted in a ``DeliveryFailure`` row. After
``CONSUMER_MAX_ATTEMPTS`` (a malformed message: at once) the event is dead: its
row stays, visible and requeueable in the admin, and on RabbitMQ the rejected
message goes to the dead-letter exchange. ``retry_or_dead_letter`` is that
decision, for a message handled on its own and for one that waits in a batch;
``requeue`` publishes dead events again, each to its own consumer's queue only.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu import Exchange, Message, Producer, Queue

from apps.messaging import broker
from apps.messaging.consumers import Envelope, EventConsumer, malformed
from apps.messaging.models import DeliveryFailure

log = structlog.get_logger(__name__)


def declare_dead_letters(channel: Any) -> None:
    """Declare the dead-letter exchange and the queue that keeps what reaches it (on RabbitMQ: the others have none)."""
    dead = broker.dead_letter_exchange()
    dead(channel).declare()
    Queue(settings.EVENTS_DEAD_LETTER_QUEUE, exchange=dead, routing_key="#", durable=True)(channel).declare()


#: The namespace of the ids given to malformed messages (which carry no usable event id of their own).
MALFORMED = uuid.UUID("6f0c1f4e-3a9b-5d2e-8c71-0b4d9e2a7f15")


def record_failure(consumer: EventConsumer, envelope: Any, error: str, *, max_attempts: int) -> DeliveryFailure:
    """Count one more failed attempt; the failure is dead once the attempts run out.

    A malformed message is dead at once. Its id is derived from its body as stored, which is also what a
    replay sends, so replaying it fails on the same row rather than adding one per replay.
    """
    valid = malformed(envelope) is None
    stored = envelope if isinstance(envelope, Mapping) else {"body": repr(envelope)[:10_000]}
    event_id = envelope["event_id"] if valid else uuid.uuid5(MALFORMED, json.dumps(stored, sort_keys=True, default=str))
    with transaction.atomic():
        failure, _ = DeliveryFailure.objects.select_for_update().get_or_create(
            consumer=consumer.name,
            event_id=event_id,
            defaults={"event_type": str(envelope.get("event_type", ""))[:100] if valid else "", "envelope": stored},
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
    """Publish dead (or retrying) events again, to their consumer's queue only (the shard of their stream).

    Raises LookupError, before anything is sent, when a failure names a consumer not in ``consumers``.
    """
    by_name = {consumer.name: consumer for consumer in consumers}
    unknown = sorted({failure.consumer for failure in failures} - set(by_name))
    if unknown:
        raise LookupError(f"no consumer is named {', '.join(map(repr, unknown))}; known: {', '.join(by_name)}")
    sent = 0
    with broker.connection() as conn:
        producer = Producer(conn.default_channel, exchange=Exchange(""))
        amqp = broker.is_amqp(conn)
        for failure in failures:
            consumer = by_name[failure.consumer]
            # The shard its stream lands in today: after a resharding, not necessarily the one that failed it.
            queue = consumer.queue_for(failure.envelope, dead_letters=amqp, shards=settings.EVENTS_CONSUMER_SHARDS)
            producer.publish(
                dict(failure.envelope),
                routing_key=queue.name,
                serializer="json",
                delivery_mode=broker.DELIVERY_PERSISTENT,
                declare=[queue],
            )
            DeliveryFailure.objects.filter(pk=failure.pk).update(
                status=DeliveryFailure.Status.REQUEUED, attempts=0, requeued_at=timezone.now()
            )
            sent += 1
    return sent
