"""Delivering outbox events to a consumer the way the broker does, for the projection properties.

Every example runs inside ``rolled_back()``; events go through the real outbox
(``write_to_outbox``) and reach the consumer in a drawn schedule (any order, any
duplicates), an event answered with ``RetryLater`` going to the back of the queue.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from hypothesis import event
from hypothesis import strategies as st

from apps.messaging.consumers import EventConsumer, RetryLater
from apps.messaging.inbox import deliver, deliver_batch
from apps.messaging.models import InboxEntry
from apps.outbox import store
from apps.outbox.dispatcher import envelope
from apps.outbox.models import OutboxEntry
from domain.kernel.events import IntegrationEvent, to_integration_event


@contextmanager
def rolled_back() -> Iterator[None]:
    """A savepoint that is always rolled back: one Hypothesis example leaves no row behind."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def write_to_outbox(events: list[IntegrationEvent]) -> list[dict[str, Any]]:
    """Append ``events`` to the outbox and return their envelopes as a consumer decodes them off the wire."""
    store.append(events)
    by_id = OutboxEntry.objects.in_bulk([event.event_id for event in events])
    return [json.loads(json.dumps(envelope(by_id[event.event_id]))) for event in events]


def counting(handle: Callable[[Mapping[str, Any]], None], applied: Counter[str]) -> Callable[[Mapping[str, Any]], None]:
    """``handle``, counting the events it went through without raising."""

    def wrapper(item: Mapping[str, Any]) -> None:
        handle(item)
        applied[item["event_id"]] += 1

    return wrapper


def counting_consumer(consumer: EventConsumer, applied: Counter[str]) -> EventConsumer:
    """``consumer`` under its own name and binding keys, its handler ``counting`` into ``applied``."""
    return EventConsumer(
        name=consumer.name, binding_keys=consumer.binding_keys, handle=counting(consumer.handle, applied)
    )


def assert_one_inbox_row_per_event(consumer_name: str, events: list[IntegrationEvent]) -> None:
    """The inbox of ``consumer_name`` holds exactly one row for each of ``events``."""
    inbox = InboxEntry.objects.filter(consumer=consumer_name, event_id__in=[event.event_id for event in events])
    assert sorted(inbox.values_list("event_id", flat=True)) == sorted(event.event_id for event in events)


def deliver_one_by_one(
    consumer: EventConsumer, envelopes: list[dict[str, Any]], schedule: list[int]
) -> tuple[int, int]:
    """Deliver ``envelopes[i]`` for each ``i`` of ``schedule``, one at a time, until none is sent back.

    Returns (first deliveries, deliveries sent back with ``RetryLater``). Each pass over the
    queue applies at least the next event of some aggregate, so a stall fails the example.
    """
    queue = deque(envelopes[position] for position in schedule)
    budget = len(envelopes) * len(queue)
    first_deliveries = retries = 0
    while queue:
        assert budget > 0, "the projection stopped making progress"
        budget -= 1
        item = queue.popleft()
        try:
            first_deliveries += deliver(consumer, item)
        except RetryLater:
            retries += 1
            queue.append(item)
    return first_deliveries, retries


def deliver_in_batches(
    consumer: EventConsumer, envelopes: list[dict[str, Any]], schedule: list[int], batch_size: int
) -> None:
    """As ``deliver_one_by_one``, through ``deliver_batch`` (the consumer runner's fast path), ``batch_size``
    at a time; the events of a batch that must wait go to the back of the queue."""
    queue = deque(envelopes[position] for position in schedule)
    budget = len(envelopes) * len(queue)
    while queue:
        assert budget > 0, "the projection stopped making progress"
        budget -= 1
        batch = [queue.popleft() for _ in range(min(batch_size, len(queue)))]
        waiting = deliver_batch(consumer, batch)
        queue.extend(batch[position] for position in sorted(waiting))


def histories_and_deliveries(histories: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[list[Any], list[int]]]:
    """One to three aggregates drawn from ``histories``, and a delivery schedule: positions into the
    concatenated events, each at least once, any order, some repeated."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple[list[Any], list[int]]:
        aggregates = draw(st.lists(histories, min_size=1, max_size=3, unique_by=lambda aggregate: aggregate.id))
        count = sum(len(aggregate.pending_events) for aggregate in aggregates)
        duplicates = draw(st.lists(st.integers(min_value=0, max_value=count - 1), max_size=count))
        return aggregates, draw(st.permutations([*range(count), *duplicates]))

    return cases()


def assert_projection_reflects_histories(
    consumer: EventConsumer,
    case: tuple[list[Any], list[int]],
    read_model: Any,
    row_state: Callable[[Any], Any],
    expected_state: Callable[[Any], Any],
) -> None:
    """Property 7's check: the events of the aggregates of ``case`` (from ``histories_and_deliveries``),
    delivered one by one in its schedule's order (RetryLater sends one to the back of the queue), leave
    each ``read_model`` row equal to ``expected_state`` of its aggregate; every event is applied exactly
    once and the inbox holds one row per event."""
    aggregates, schedule = case
    events = [to_integration_event(fact) for aggregate in aggregates for fact in aggregate.pending_events]
    applied: Counter[str] = Counter()
    counting = counting_consumer(consumer, applied)

    with rolled_back():
        envelopes = write_to_outbox(events)
        first_deliveries, retries = deliver_one_by_one(counting, envelopes, schedule)
        event(f"events sent back with RetryLater: {'some' if retries else 'none'}")
        event(f"duplicate deliveries: {'some' if len(schedule) > len(events) else 'none'}")

        rows = read_model.objects.in_bulk([aggregate.id for aggregate in aggregates])
        assert {key: row_state(row) for key, row in rows.items()} == {
            aggregate.id: expected_state(aggregate) for aggregate in aggregates
        }
        assert first_deliveries == len(events)
        assert applied == Counter(str(fact.event_id) for fact in events)
        assert_one_inbox_row_per_event(counting.name, events)
