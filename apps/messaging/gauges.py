"""The dead letters' gauges for Prometheus, sampled (``apps.observability.sampling``).

``orderflow_dead_letters`` counts the delivery failures in status dead: every
dead letter has such a row, on every broker, until an operator requeues it, and
the admin and ``replay_dead_letters`` work from them, so it is the number an
alert should watch. RabbitMQ's dead-letter queue holds the raw messages too, but
it is bounded (its oldest are dropped) and absent elsewhere; its depth is
``orderflow_dead_letter_queue_messages``, a sampler of its own, so a broker
outage leaves the other gauges alone.
"""

from __future__ import annotations

from apps.messaging import dead_letters
from apps.messaging.models import DeliveryFailure
from apps.observability import metrics

#: Seconds the sampler waits for RabbitMQ: a scrape must not hang on a broker that is down.
BROKER_TIMEOUT = 1.0


class DeadLetterQueueUnavailable(Exception):
    """The broker could not be asked: the gauge is missing and the sample counted as failed."""


def sample_failures() -> dict[str, float | None]:
    dead = DeliveryFailure.objects.filter(status=DeliveryFailure.Status.DEAD).count()
    return {metrics.DEAD_LETTERS.name: dead}


def sample_queue() -> dict[str, float | None]:
    reading = dead_letters.read_queue(timeout=BROKER_TIMEOUT)
    if reading.broker_unavailable:
        raise DeadLetterQueueUnavailable(reading.detail)
    # None: not RabbitMQ, or the queue not declared yet; the gauge is absent, not 0.
    return {metrics.DEAD_LETTER_QUEUE_MESSAGES.name: reading.messages}
