"""Consumers against PostgreSQL and RabbitMQ: the inbox, retries, dead letters and their replay.

The first test goes through the real wiring (the users-read consumer and its
queue, via tests.support.events). The others get a consumer with a unique name, hence
their own durable queue (deleted afterwards) bound to an event type nobody else
publishes, so they never see other tests' messages. CONSUMER_MAX_ATTEMPTS is 3
here to keep the retries short.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import OperationalError
from kombu import Exchange, Producer, Queue, binding

from apps.messaging import broker, registry, routing
from apps.messaging.consumers import EventConsumer, RetryLater
from apps.messaging.management.commands.declare_event_topology import retire
from apps.messaging.models import DeliveryFailure, InboxEntry
from apps.messaging.publisher import EventPublisher
from apps.messaging.registry import consumers, projection
from apps.messaging.runner import ConsumerRunner
from apps.outbox.dispatcher import envelope
from apps.outbox.models import OutboxEntry
from apps.users import projections
from apps.users.models import UserReadModel
from tests.integration.threads import in_thread
from tests.support.accounts import register
from tests.support.events import deliver_events, envelope_of, publish

USERS_READ = projection("users_read")

Handler = Callable[[Mapping[str, Any]], None]


class Topic:
    """A consumer factory and a publisher for one test: unique names, queues deleted at the end."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex[:12]
        self.event_type = f"t{self.token}.happened"
        self.consumers: list[EventConsumer] = []

    def consumer(self, handle: Handler) -> EventConsumer:
        consumer = EventConsumer(name=f"test-{self.token}", binding_keys=(f"t{self.token}.#",), handle=handle)
        self.consumers.append(consumer)
        with broker.connection() as conn:
            ConsumerRunner([consumer]).declare(conn)  # bound before anything is published
        return consumer

    def envelope(self, **payload: Any) -> dict[str, Any]:
        return envelope_of(self.event_type, **payload)

    def publish(self, *envelopes: Mapping[str, Any]) -> None:
        publish(*envelopes)

    def send_raw(self, consumer: EventConsumer, body: Any, **options: Any) -> None:
        """Straight into ``consumer``'s queue (the default exchange), any body and content type."""
        with broker.connection() as conn:
            Producer(conn.default_channel, exchange=Exchange("")).publish(
                body, routing_key=consumer.queue_name, delivery_mode=broker.DELIVERY_PERSISTENT, **options
            )

    def cleanup(self) -> None:
        with broker.connection() as conn:
            for consumer in self.consumers:
                Queue(consumer.queue_name)(conn.default_channel).delete()


@pytest.fixture
def topic() -> Iterator[Topic]:
    assert settings.EVENTS_BROKER_URL.startswith("amqp://")
    topic = Topic()
    yield topic
    topic.cleanup()


@pytest.fixture
def dead_letters(topic: Topic) -> Iterator[Callable[[], list[Any]]]:
    """A private queue on the dead-letter exchange, catching this test's dead letters only.

    RabbitMQ dead-letters a message with the routing key it was published with: the
    event type and slot (through the events exchange) or the queue name (straight to the queue).
    """
    dead = broker.dead_letter_exchange()
    queue = Queue(
        f"test.dead.{topic.token}",
        exchange=dead,
        bindings=[
            binding(dead, routing_key=f"t{topic.token}.#"),
            binding(dead, routing_key=f"orderflow.test-{topic.token}"),  # the queue of topic.consumer()
        ],
        auto_delete=True,
    )
    conn = broker.connection()
    channel = conn.channel()
    dead(channel).declare()
    bound = queue(channel)
    bound.declare()

    def received() -> list[Any]:
        messages = []
        while (message := bound.get(no_ack=True)) is not None:
            messages.append(message)
        return messages

    yield received
    bound.delete()
    channel.close()
    conn.release()


def joining(monkeypatch, consumer: EventConsumer) -> None:
    """``consumer`` installed beside the composition root's consumers until the test ends."""
    installed = registry.Consumers(registry.projections(), (*registry.policies(), consumer))
    monkeypatch.setattr(registry, "_installed", installed)


def run_until(consumers: list[EventConsumer], done: Callable[[ConsumerRunner], bool], *, within: float = 15.0) -> int:
    """Run the consumers on a fresh connection until ``done(runner)``; fail after ``within`` idle seconds."""
    runner = ConsumerRunner(consumers)
    with broker.connection() as conn:
        runner.run(conn, should_stop=lambda: done(runner), idle_timeout=within, poll=0.05)
    assert done(runner), f"gave up after {runner.handled} message(s)"
    return runner.handled


class Recorder:
    """A handler that records what it applied, and fails on poisoned events while it is broken."""

    def __init__(self) -> None:
        self.applied: Counter[str] = Counter()
        self.broken = True

    def __call__(self, item: Mapping[str, Any]) -> None:
        if self.broken and item["payload"].get("poison"):
            raise RuntimeError("cannot digest this event")
        self.applied[item["event_id"]] += 1


@pytest.mark.django_db
def test_a_registered_user_appears_in_users_read_once_the_events_are_delivered():
    user = register("ada@example.com", "Ada")

    deliver_events()

    row = UserReadModel.objects.get(pk=user.id)
    assert (row.email, row.display_name, row.is_active, row.version) == ("ada@example.com", "Ada", True, 1)
    assert row.created_at == user.created_at
    event = OutboxEntry.objects.get(aggregate_id=user.id)
    assert event.status == OutboxEntry.Status.PROCESSED
    assert InboxEntry.objects.filter(consumer=USERS_READ.consumer.name, event_id=event.id).exists()


@pytest.mark.django_db
def test_a_redelivered_event_has_no_second_effect(topic):
    user = register("bob@example.com", "Bob")
    calls: Counter[str] = Counter()

    def project_counting(item: Mapping[str, Any]) -> None:
        calls[item["event_id"]] += 1
        projections.project(item)

    consumer = topic.consumer(project_counting)
    registered = envelope(OutboxEntry.objects.get(aggregate_id=user.id))

    topic.send_raw(consumer, registered, serializer="json")
    topic.send_raw(consumer, registered, serializer="json")  # as after a lost ack or a replay

    handled = run_until([consumer], lambda runner: runner.handled >= 2)

    assert handled == 2
    assert calls == {registered["event_id"]: 1}
    assert InboxEntry.objects.filter(consumer=consumer.name, event_id=registered["event_id"]).count() == 1
    row = UserReadModel.objects.get(pk=user.id)
    assert (row.display_name, row.version) == ("Bob", 1)
    assert not DeliveryFailure.objects.filter(consumer=consumer.name).exists()


@pytest.mark.django_db
def test_a_poison_event_is_retried_then_dead_lettered_while_other_events_flow_and_a_replay_applies_it(
    topic, dead_letters, settings, monkeypatch
):
    settings.CONSUMER_MAX_ATTEMPTS = 3
    recorder = Recorder()
    consumer = topic.consumer(recorder)
    before, poison, after = topic.envelope(n=1), topic.envelope(poison=True), topic.envelope(n=2)
    healthy = {before["event_id"], after["event_id"]}

    topic.publish(before, poison, after)
    run_until(
        [consumer],
        lambda runner: (
            DeliveryFailure.objects.filter(consumer=consumer.name, status="dead").exists()
            and set(recorder.applied) == healthy
        ),
    )

    failure = DeliveryFailure.objects.get(consumer=consumer.name)
    assert (str(failure.event_id), failure.event_type, failure.status) == (
        poison["event_id"],
        topic.event_type,
        DeliveryFailure.Status.DEAD,
    )
    assert failure.attempts == 3
    assert failure.last_error == "RuntimeError: cannot digest this event"
    assert failure.envelope == poison
    assert recorder.applied == {before["event_id"]: 1, after["event_id"]: 1}
    assert not InboxEntry.objects.filter(consumer=consumer.name, event_id=poison["event_id"]).exists()
    (dead,) = dead_letters()
    assert dead.payload == poison
    assert dead.delivery_info["routing_key"] == routing.routing_key(poison)
    death = dead.headers["x-death"][0]
    assert (death["reason"], death["queue"]) == ("rejected", consumer.queue_name)

    # The replay command knows the consumers the composition root installed; this test's consumer joins them.
    joining(monkeypatch, consumer)
    out = StringIO()
    call_command("replay_dead_letters", event_id=poison["event_id"], stdout=out)

    assert out.getvalue().strip() == "requeued 1 dead event(s)"
    failure.refresh_from_db()
    assert (failure.status, failure.attempts) == (DeliveryFailure.Status.REQUEUED, 0)
    assert failure.requeued_at is not None

    recorder.broken = False  # the handler is fixed and deployed
    run_until([consumer], lambda runner: poison["event_id"] in recorder.applied)

    assert recorder.applied == {before["event_id"]: 1, poison["event_id"]: 1, after["event_id"]: 1}
    assert InboxEntry.objects.filter(consumer=consumer.name, event_id=poison["event_id"]).exists()
    assert not DeliveryFailure.objects.filter(consumer=consumer.name).exists()
    assert dead_letters() == []


class DatabaseGone:
    """A handler that fails as every database call does while PostgreSQL is unreachable, until it is back."""

    def __init__(self) -> None:
        self.down = True
        self.applied: Counter[str] = Counter()

    def __call__(self, item: Mapping[str, Any]) -> None:
        if self.down:
            raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")
        self.applied[item["event_id"]] += 1


@pytest.mark.django_db
def test_a_database_outage_is_no_failed_attempt_the_message_comes_back_once_the_database_does(topic):
    handler = DatabaseGone()
    consumer = topic.consumer(handler)
    event = topic.envelope(n=1)
    topic.publish(event)

    with pytest.raises(OperationalError):
        run_until([consumer], lambda runner: False, within=5)

    assert not DeliveryFailure.objects.filter(consumer=consumer.name).exists()
    assert not InboxEntry.objects.filter(consumer=consumer.name).exists()

    handler.down = False
    run_until([consumer], lambda runner: event["event_id"] in handler.applied)

    assert handler.applied == {event["event_id"]: 1}
    assert not DeliveryFailure.objects.filter(consumer=consumer.name).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "options", "error"),
    [
        ([1, 2, 3], {"serializer": "json"}, "the message body is list, not a JSON object"),
        ("just a string", {"serializer": "json"}, "the message body is str, not a JSON object"),
        ({"event_type": "users.user_registered"}, {"serializer": "json"}, "the envelope lacks event_id, aggregate_id"),
        (
            {"event_id": "42", "event_type": "x.y", "aggregate_id": "a", "aggregate_version": 1, "payload": {}},
            {"serializer": "json"},
            "the envelope's event_id is not a UUID",
        ),
        (b"{not json", {"content_type": "application/json", "content_encoding": "utf-8"}, "cannot be decoded"),
        (b"plain words", {"content_type": "text/plain", "content_encoding": "utf-8"}, "cannot be decoded"),
    ],
    ids=["json-list", "json-string", "missing-fields", "event-id-not-uuid", "not-json", "not-a-json-content-type"],
)
def test_a_malformed_message_is_dead_lettered_at_once_and_the_consumer_goes_on(
    topic, dead_letters, settings, body, options, error
):
    settings.CONSUMER_MAX_ATTEMPTS = 3
    recorder = Recorder()
    consumer = topic.consumer(recorder)
    healthy = topic.envelope(n=1)

    topic.send_raw(consumer, body, **options)
    topic.publish(healthy)
    run_until([consumer], lambda runner: healthy["event_id"] in recorder.applied)

    failure = DeliveryFailure.objects.get(consumer=consumer.name)
    assert (failure.status, failure.attempts) == (DeliveryFailure.Status.DEAD, 1)
    assert error in failure.last_error
    (dead,) = dead_letters()
    arrived = dead.body.decode() if isinstance(dead.body, bytes) else dead.body
    assert arrived == (body.decode() if isinstance(body, bytes) else json.dumps(body))  # as sent, byte for byte
    assert dead.headers["x-death"][0]["reason"] == "rejected"
    assert recorder.applied == {healthy["event_id"]: 1}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "options"),
    [
        ({"event_type": "users.user_registered"}, {"serializer": "json"}),
        (b"plain words", {"content_type": "text/plain", "content_encoding": "utf-8"}),
    ],
    ids=["missing-fields", "not-a-json-content-type"],
)
def test_replaying_a_malformed_dead_letter_fails_on_the_same_row_again(topic, monkeypatch, body, options):
    consumer = topic.consumer(Recorder())
    joining(monkeypatch, consumer)
    topic.send_raw(consumer, body, **options)
    dead = DeliveryFailure.Status.DEAD
    run_until([consumer], lambda runner: DeliveryFailure.objects.filter(consumer=consumer.name, status=dead).exists())
    (first,) = DeliveryFailure.objects.filter(consumer=consumer.name)

    for _ in range(2):
        call_command("replay_dead_letters", consumer=consumer.name, stdout=StringIO())
        run_until(
            [consumer], lambda runner: DeliveryFailure.objects.filter(consumer=consumer.name, status=dead).exists()
        )

    (again,) = DeliveryFailure.objects.filter(consumer=consumer.name)
    assert (again.pk, again.event_id, again.envelope) == (first.pk, first.event_id, first.envelope)
    assert (again.status, again.attempts) == (dead, 1)


@pytest.mark.django_db
def test_replaying_a_dead_letter_of_an_unknown_consumer_fails_in_one_line_and_sends_nothing(topic, monkeypatch):
    known = topic.consumer(Recorder())
    joining(monkeypatch, known)
    ours = topic.envelope(n=1)
    for name, item in ((known.name, ours), ("retired-consumer", topic.envelope(n=2))):
        DeliveryFailure.objects.create(
            consumer=name,
            event_id=item["event_id"],
            event_type=item["event_type"],
            envelope=item,
            attempts=3,
            status=DeliveryFailure.Status.DEAD,
        )

    names = ", ".join(consumer.name for consumer in consumers() if consumer is not known)
    with pytest.raises(CommandError, match=rf"^no consumer is named 'retired-consumer'; known: {names}, test-"):
        call_command("replay_dead_letters")

    assert set(DeliveryFailure.objects.filter(event_id=ours["event_id"]).values_list("status", flat=True)) == {"dead"}
    with broker.connection() as conn:
        assert Queue(known.queue_name)(conn.default_channel).get(no_ack=True) is None


def queue_depth(consumer: EventConsumer) -> int:
    """Messages ready in the queue: once the runner's connection is closed, its unacked ones are back too."""
    with broker.connection() as conn:
        return int(Queue(consumer.queue_name)(conn.default_channel).queue_declare(passive=True).message_count)


@pytest.mark.django_db
@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "batched"])
def test_the_handled_messages_are_acknowledged_and_a_failing_one_is_not(topic, settings, batched):
    settings.CONSUMER_MAX_ATTEMPTS = 100
    recorder = Recorder()

    def handle_batch(items: Sequence[Mapping[str, Any]]) -> dict[int, str]:
        for item in items:
            recorder(item)
        return {}

    consumer = topic.consumer(recorder)
    if batched:
        consumer = dataclasses.replace(consumer, handle_batch=handle_batch)
    good = [topic.envelope(n=n) for n in range(20)]
    poison = topic.envelope(poison=True)
    topic.publish(*good[:10], poison, *good[10:])

    run_until([consumer], lambda runner: len(recorder.applied) == 20)

    # Every applied event was acked (none comes back), and the failing one was not acked with them.
    assert set(recorder.applied) == {item["event_id"] for item in good}
    assert queue_depth(consumer) == 1


@pytest.mark.django_db(transaction=True)
def test_two_shard_runners_each_take_whole_streams_and_apply_them_in_order(topic, settings):
    """Published by the outbox's publisher (slotted routing keys), two aggregates' worth of streams split over
    two shard queues; a runner per shard, both at once, sees every stream whole, in version order."""
    settings.EVENTS_CONSUMER_SHARDS = 2
    seen: dict[str, list[tuple[str, int]]] = {"0": [], "1": []}
    out_of_order: list[str] = []
    last: dict[str, int] = {}

    def recorder(shard: str) -> Handler:
        def handle(item: Mapping[str, Any]) -> None:
            aggregate, version = item["aggregate_id"], int(item["aggregate_version"])
            if version != last.get(aggregate, 0) + 1:
                out_of_order.append(f"{aggregate} v{version} after v{last.get(aggregate, 0)}")
                raise RetryLater("an earlier version has not arrived")
            last[aggregate] = version
            seen[shard].append((aggregate, version))

        return handle

    base = topic.consumer(recorder("0"))  # declares both shard queues before anything is published
    shard_consumers = {shard: dataclasses.replace(base, handle=recorder(shard)) for shard in seen}
    aggregates = [str(uuid.uuid4()) for _ in range(12)]
    streams = []
    for version in range(1, 6):
        for aggregate in aggregates:
            streams.append({**topic.envelope(v=version), "aggregate_id": aggregate, "aggregate_version": version})
    publisher = EventPublisher()
    try:
        report = publisher.publish(streams)
    finally:
        publisher.close()
    assert report.published == set(range(len(streams)))

    def run(shard: str) -> None:
        runner = ConsumerRunner([shard_consumers[shard]], only_shards=[int(shard)], batch_size=7)
        with broker.connection() as conn:
            runner.run(conn, idle_timeout=1.0, poll=0.05)

    try:
        threads = [in_thread(run, shard) for shard in seen]
        for thread in threads:
            thread.join(60)
    finally:
        with broker.connection() as conn:
            for shard in range(2):
                Queue(base.shard_queue_name(shard, 2))(conn.default_channel).delete()

    assert out_of_order == []
    assert seen["0"], "shard 0 had work"
    assert seen["1"], "shard 1 had work"
    for shard, applied in seen.items():
        for aggregate in {aggregate for aggregate, _ in applied}:
            assert [v for a, v in applied if a == aggregate] == [1, 2, 3, 4, 5], (shard, aggregate)
    assert {aggregate for applied in seen.values() for aggregate, _ in applied} == set(aggregates)
    assert not {a for a, _ in seen["0"]} & {a for a, _ in seen["1"]}, "a stream was split over the shards"
    assert InboxEntry.objects.filter(consumer=base.name).count() == len(streams)
    assert not DeliveryFailure.objects.filter(consumer=base.name).exists()


@pytest.mark.django_db
def test_retiring_a_layout_unbinds_its_queue_keeps_its_messages_and_deletes_it_once_drained(topic, settings):
    consumer = topic.consumer(lambda item: None)  # the one-shard layout
    old = consumer.queue(dead_letters=True)
    topic.publish(topic.envelope(n=1), topic.envelope(n=2))
    settings.EVENTS_CONSUMER_SHARDS = 2
    try:
        with broker.connection() as conn:
            ConsumerRunner([consumer]).declare(conn)  # the new layout bound first
            assert "2 message(s) left" in retire(conn, old)
            topic.publish(topic.envelope(n=3))  # only the shard queues take it now
            depth = Queue(old.name)(conn.default_channel).queue_declare(passive=True).message_count
            assert depth == 2
            shard_depths = [
                Queue(consumer.shard_queue_name(k, 2))(conn.default_channel).queue_declare(passive=True).message_count
                for k in range(2)
            ]
            assert sum(shard_depths) == 1
            Queue(old.name)(conn.default_channel).purge()  # as its runner would drain it
            assert retire(conn, old).endswith("unbound, empty, deleted")
            assert retire(conn, old).endswith("absent")
    finally:
        with broker.connection() as conn:
            for shard in range(2):
                Queue(consumer.shard_queue_name(shard, 2))(conn.default_channel).delete()
