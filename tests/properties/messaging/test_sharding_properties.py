"""Sharded consumers keep each aggregate's order: its events all land in one shard, in publish order.

The events of one to three orders (and of each order's invoice, which travels in
its order's stream) are published in some interleaving of the streams; each goes
to the shard its routing slot names (``apps.messaging.routing``) of a two-shard
layout. Two runners then take batches off their shards in a drawn interleaving,
the way two ``consume_events --shard K`` processes race, through the production
batch path (``deliver_batch``: inbox + orders_read projection).
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.messaging import routing
from apps.messaging.inbox import deliver_batch
from apps.messaging.registry import projection
from apps.orders.models import OrderReadModel
from domain.kernel.events import IntegrationEvent, to_integration_event
from tests.properties.delivery import assert_one_inbox_row_per_event, rolled_back, write_to_outbox
from tests.properties.orders.test_domain_properties import orders_with_history
from tests.properties.orders.test_projection_properties import expected_rows, invoice_histories

ORDERS_READ = projection("orders_read")
SHARDS = 2


@st.composite
def published_streams(draw: st.DrawFn) -> list[IntegrationEvent]:
    """One to three orders' streams (the order's events, then its invoice's), interleaved as they are
    published: each stream in its own order, the streams mixed in a drawn way."""
    cases = draw(st.lists(orders_with_history(), min_size=1, max_size=3, unique_by=lambda case: case[0].id))
    streams = [
        deque(
            [
                *(to_integration_event(recorded) for recorded in order.pending_events),
                *draw(invoice_histories(order, invoice_id)),
            ]
        )
        for order, invoice_id in cases
    ]
    published: list[IntegrationEvent] = []
    while any(streams):
        stream = draw(st.sampled_from([stream for stream in streams if stream]))
        published.append(stream.popleft())
    return published


def stream_of(event: IntegrationEvent) -> UUID:
    """The order an event is about: its own aggregate, or the order its invoice belongs to."""
    return event.aggregate_id if event.event_type.startswith("orders.") else UUID(event.payload["order_id"])


# **Feature: architecture-restructuring-2025, Property 7: Projections Update Read Models from Events**
# **Validates: Requirements 4.2**
@pytest.mark.django_db
@given(published_streams(), st.data())
def test_two_shards_keep_each_orders_stream_in_one_shard_in_order_and_the_read_model_right(
    events: list[IntegrationEvent], data: st.DataObject
) -> None:
    """For any orders' streams published in any interleaving, routed to two shards by their slot: each
    stream (the order's events and its invoice's) is in exactly one shard, in publish order; two
    runners taking batches of any size off their shards in any interleaving, some messages delivered
    twice, never meet an event that must wait (RetryLater), apply every event exactly once, leave one
    inbox row per event, and end with orders_read equal to the rows folded from the events in order."""
    applied: Counter[str] = Counter()
    consumer = ORDERS_READ.consumer
    consumer = type(consumer)(
        name=consumer.name,
        binding_keys=consumer.binding_keys,
        handle=consumer.handle,
        handle_batch=_counting_batch(consumer.handle_batch, applied),
    )
    with rolled_back():
        envelopes = write_to_outbox(events)
        shards: list[deque[dict[str, Any]]] = [deque() for _ in range(SHARDS)]
        for item in envelopes:
            shards[routing.shard_of(item, SHARDS)].append(item)

        shard_of_stream: dict[UUID, set[int]] = {}
        for number, queue in enumerate(shards):
            for item in queue:
                shard_of_stream.setdefault(_stream(item), set()).add(number)
        assert all(len(found) == 1 for found in shard_of_stream.values()), shard_of_stream
        for queue in shards:
            for stream in {_stream(item) for item in queue}:
                in_shard = [item["event_id"] for item in queue if _stream(item) == stream]
                assert in_shard == [item["event_id"] for item in envelopes if _stream(item) == stream]

        # A redelivery (a lost ack, a runner restart) comes after the original, in the same shard.
        for queue in shards:
            for position in data.draw(st.lists(st.integers(0, max(0, len(queue) - 1)), max_size=3)):
                if queue:
                    queue.append(queue[position])

        while any(shards):
            number = data.draw(st.sampled_from([n for n, queue in enumerate(shards) if queue]))
            size = data.draw(st.integers(1, 5))
            batch = [shards[number].popleft() for _ in range(min(size, len(shards[number])))]
            assert deliver_batch(consumer, batch) == {}, "an event had to wait: its stream's order was broken"

        rows = OrderReadModel.objects.filter(pk__in={stream_of(event) for event in events}).values()
        assert {row["id"]: row for row in rows} == expected_rows(events)
        assert applied == Counter(str(event.event_id) for event in events)
        assert_one_inbox_row_per_event(consumer.name, events)


def _stream(envelope: dict[str, Any]) -> UUID:
    """The order an envelope is about (read from the envelope, not from the routing's own rule)."""
    if str(envelope["event_type"]).startswith("orders."):
        return UUID(envelope["aggregate_id"])
    return UUID(envelope["payload"]["order_id"])


def _counting_batch(handle_batch: Any, applied: Counter[str]) -> Any:
    """``handle_batch``, counting each event it applied (not sent back)."""

    def wrapper(items: list[dict[str, Any]]) -> dict[int, str]:
        waiting = handle_batch(items)
        for position, item in enumerate(items):
            if position not in waiting:
                applied[item["event_id"]] += 1
        return waiting

    return wrapper


def test_a_users_stream_lands_by_its_aggregate_id() -> None:
    """Events of an aggregate no context groups with another are routed by their own aggregate id."""
    user_id = "3f2b8c1e-9d4a-4c6e-8b1f-2a7d5e9c0b13"
    envelope = {"aggregate_type": "users.user", "aggregate_id": user_id, "event_type": "users.user_registered"}
    assert routing.partition_key(envelope) == user_id
    assert routing.routing_key(envelope) == f"users.user_registered.{routing.slot_of(envelope)}"
