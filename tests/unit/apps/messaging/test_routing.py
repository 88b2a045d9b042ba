"""Routing keys carry the slot of the event's stream; shard queues bind disjoint sets of slots."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from kombu import Connection, Exchange, Producer

from apps.messaging import routing
from apps.messaging.consumers import EventConsumer
from apps.messaging.runner import ConsumerRunner
from config.environment import load

ORDER_ID = "8c0d7b52-61f4-4d0e-9a59-3c2f1e7b9d40"


def envelope(aggregate_type: str, aggregate_id: str, **payload: str) -> dict[str, object]:
    event_type = {"users.user": "users.user_registered", "billing.invoice": "billing.invoice_issued"}.get(
        aggregate_type, "orders.order_placed"
    )
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "aggregate_version": 1,
        "payload": payload,
    }


def test_an_invoice_travels_in_its_orders_stream_and_a_user_in_its_own():
    order = envelope("orders.order", ORDER_ID)
    invoice = envelope("billing.invoice", str(uuid.uuid4()), order_id=ORDER_ID.upper())
    user = envelope("users.user", str(uuid.uuid4()))

    assert routing.partition_key(invoice) == routing.partition_key(order) == ORDER_ID
    assert routing.partition_key(user) == user["aggregate_id"]
    assert routing.routing_key(invoice) == f"billing.invoice_issued.{routing.slot_of(order)}"


def test_without_the_field_it_is_grouped_by_an_aggregate_falls_back_to_its_own_id():
    invoice = envelope("billing.invoice", ORDER_ID)

    assert routing.partition_key(invoice) == ORDER_ID


def test_slots_spread_aggregates_over_every_shard():
    slots = {routing.slot_of(envelope("users.user", str(uuid.UUID(int=n)))) for n in range(2000)}

    assert slots == set(range(routing.SLOTS))


@pytest.mark.parametrize("shards", [2, 3, 5, routing.SLOTS])
def test_each_slot_is_bound_by_exactly_one_shard(shards):
    bound = [
        key.rsplit(".", 1)[1]
        for shard in range(shards)
        for key in routing.shard_binding_keys(("users.#",), shard, shards)
    ]

    assert sorted(map(int, bound)) == list(range(routing.SLOTS))


def test_one_shard_binds_the_keys_with_and_without_a_slot():
    keys = routing.shard_binding_keys(("users.#", "billing.payment_captured"), 0, 1)

    assert keys == ["users.#", "users.#.*", "billing.payment_captured", "billing.payment_captured.*"]


@pytest.mark.parametrize(("shard", "shards"), [(0, 0), (0, routing.SLOTS + 1), (2, 2), (-1, 2)])
def test_a_layout_or_shard_that_cannot_exist_is_refused(shard, shards):
    with pytest.raises(ValueError, match="shard"):
        routing.shard_binding_keys(("users.#",), shard, shards)


def test_the_shard_count_setting_is_bounded_by_the_slots(tmp_path):
    def shards(**variables: str) -> int:
        return load({"DEBUG": "true", **variables}, base_dir=tmp_path).events_consumer_shards

    assert shards(EVENTS_CONSUMER_SHARDS=str(routing.SLOTS)) == routing.SLOTS
    with pytest.raises(ImproperlyConfigured, match=f"at most {routing.SLOTS}"):
        shards(EVENTS_CONSUMER_SHARDS=str(routing.SLOTS + 1))
    assert shards() == 1


def consumer(name: str = "things", keys: tuple[str, ...] = ("users.#", "billing.payment_captured")) -> EventConsumer:
    return EventConsumer(name=name, binding_keys=keys, handle=lambda envelope: None)


def test_a_runner_reads_the_shards_it_is_given_under_their_layouts_names():
    runner = ConsumerRunner([consumer()], shards=3, only_shards=[2, 0])

    assert runner.queue_consumers().keys() == {"orderflow.things.shard-0-of-3", "orderflow.things.shard-2-of-3"}
    assert ConsumerRunner([consumer()], shards=1).queue_consumers().keys() == {"orderflow.things"}


def test_a_runner_refuses_a_shard_the_layout_does_not_have():
    with pytest.raises(ValueError, match="shard 2 does not exist: with 2 shard"):
        ConsumerRunner([consumer()], shards=2, only_shards=[2])


def test_on_the_embedded_transport_each_event_reaches_the_one_shard_queue_of_its_stream(settings):
    """kombu's own topic matching (the embedded default) routes slotted keys as RabbitMQ does."""
    settings.EVENTS_EXCHANGE = f"test-routing-{uuid.uuid4().hex[:8]}"
    things = consumer(name=f"things-{uuid.uuid4().hex[:8]}")
    events = [envelope("users.user", str(uuid.uuid4())) for _ in range(40)]
    with Connection("memory://") as conn:
        queues = ConsumerRunner([things], shards=2).declare(conn)
        producer = Producer(conn.default_channel, exchange=Exchange(settings.EVENTS_EXCHANGE, type="topic"))
        for item in events:
            producer.publish(item, routing_key=routing.routing_key(item), serializer="json")
        arrived = {}
        for queue in queues:
            bound = queue(conn.default_channel)
            while (message := bound.get(no_ack=True)) is not None:
                arrived.setdefault(queue.name, []).append(message.payload["event_id"])

    for shard in range(2):
        expected = [item["event_id"] for item in events if routing.shard_of(item, 2) == shard]
        assert arrived.get(things.shard_queue_name(shard, 2), []) == expected
    assert all(arrived.values())
