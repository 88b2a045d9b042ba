"""The consumer runner counts every event it takes by outcome, on both of its paths, and times the lag.

Run on the events broker of the suite (in memory; RabbitMQ in the integration run), with consumers of
their own: a name and an event type nobody else uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kombu import Producer, Queue
from prometheus_client import REGISTRY

from apps.messaging import broker, routing
from apps.messaging.consumers import EventConsumer
from apps.messaging.runner import ConsumerRunner
from tests.support.events import envelope_of, publish

pytestmark = pytest.mark.django_db


class Topic:
    def __init__(self) -> None:
        self.token = uuid.uuid4().hex[:12]
        self.consumers: list[EventConsumer] = []

    def consumer(self, handle: Any, handle_batch: Any = None) -> EventConsumer:
        consumer = EventConsumer(
            name=f"metrics-{self.token}-{len(self.consumers)}",
            binding_keys=(f"m{self.token}.#",),
            handle=handle,
            handle_batch=handle_batch,
        )
        self.consumers.append(consumer)
        with broker.connection() as conn:
            ConsumerRunner([consumer]).declare(conn)
        return consumer

    def envelope(self, *, age: float = 1.0, **payload: Any) -> dict[str, Any]:
        occurred_at = datetime.now(UTC) - timedelta(seconds=age)
        return envelope_of(f"m{self.token}.happened", occurred_at=occurred_at, **payload)

    def publish(self, *envelopes: Mapping[str, Any]) -> None:
        publish(*envelopes)

    def run(self, consumer: EventConsumer) -> int:
        runner = ConsumerRunner([consumer], max_attempts=2)
        with broker.connection() as conn:
            return runner.run(conn, idle_timeout=0.5, poll=0.05)

    def cleanup(self) -> None:
        with broker.connection() as conn:
            for consumer in self.consumers:
                Queue(consumer.queue_name)(conn.default_channel).delete()


@pytest.fixture
def topic():
    topic = Topic()
    yield topic
    topic.cleanup()


def events(consumer: EventConsumer, outcome: str) -> float:
    return (
        REGISTRY.get_sample_value("orderflow_consumer_events_total", {"consumer": consumer.name, "outcome": outcome})
        or 0.0
    )


def lag(consumer: EventConsumer, suffix: str) -> float:
    return REGISTRY.get_sample_value(f"orderflow_consumer_lag_seconds_{suffix}", {"consumer": consumer.name}) or 0.0


def test_one_by_one_each_event_is_handled_duplicate_retried_or_dead_and_the_lag_is_observed(topic):
    def handle(item: Mapping[str, Any]) -> None:
        if item["payload"].get("poison"):
            raise RuntimeError("cannot digest this event")

    consumer = topic.consumer(handle)
    fine, poison = topic.envelope(age=3.0), topic.envelope(poison=True)
    topic.publish(fine)
    topic.run(consumer)
    topic.publish(fine, poison)  # the fine one again: a duplicate

    topic.run(consumer)

    assert events(consumer, "handled") == 1
    assert events(consumer, "duplicate") == 1
    assert events(consumer, "retried") == 1  # CONSUMER_MAX_ATTEMPTS 2: once requeued, then dead
    assert events(consumer, "dead") == 1
    assert lag(consumer, "count") == 1
    assert lag(consumer, "sum") >= 3.0
    assert (
        REGISTRY.get_sample_value("orderflow_consumer_lag_seconds_bucket", {"consumer": consumer.name, "le": "1.0"})
        == 0
    )


def test_in_batches_each_event_is_counted_handled_duplicate_or_retried_too(topic):
    seen: list[str] = []

    def handle_batch(items: Sequence[Mapping[str, Any]]) -> dict[int, str]:
        waiting = {}
        for position, item in enumerate(items):
            if item["payload"].get("later") and item["event_id"] not in seen:
                seen.append(item["event_id"])
                waiting[position] = "its predecessor has not arrived"
        return waiting

    consumer = topic.consumer(lambda item: None, handle_batch)
    first, second, later = topic.envelope(), topic.envelope(), topic.envelope(later=True)
    topic.publish(first, second, later)
    topic.run(consumer)
    topic.publish(first, second)  # both again: duplicates, in one batch

    topic.run(consumer)

    assert events(consumer, "handled") == 3  # the later one at its second delivery
    assert events(consumer, "retried") == 1
    assert events(consumer, "duplicate") == 2
    assert events(consumer, "dead") == 0
    assert lag(consumer, "count") == 3


def test_an_undecodable_message_is_counted_dead(topic):
    consumer = topic.consumer(lambda item: None)
    with broker.connection() as conn:
        producer = Producer(conn.default_channel, exchange=broker.events_exchange())
        producer.publish(
            "not json at all",
            routing_key=routing.routing_key(topic.envelope()),
            content_type="application/json",
            content_encoding="utf-8",
            serializer=None,
            retry=False,
        )

    topic.run(consumer)

    assert events(consumer, "dead") == 1
    assert events(consumer, "handled") == 0
