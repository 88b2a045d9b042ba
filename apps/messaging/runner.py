"""A message is acknowledged only after its event's effect has committed; a failing one is retried or dead-lettered.

``ConsumerRunner`` declares the consumers' queues (on RabbitMQ, the dead-letter
exchange too) and consumes them on one connection: every shard of each, or the
ones it is given (``apps.messaging.routing``). What is waiting is gathered,
up to a batch, and handled together by the consumers that have a batch handler,
one by one otherwise. A runner that dies before the acknowledgement leaves the
message to be delivered again: at least once, and once in effect (the inbox).
An unreachable database is no failure of the message at hand: it is raised out of
``run`` unacknowledged, not counted as an attempt.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from django.conf import settings
from kombu import Connection, Consumer, Message, Queue
from kombu.exceptions import ContentDisallowed
from opentelemetry.trace import Span, SpanKind

# inbox.deliver and inbox.deliver_batch are looked up at each call: the benchmark wraps them to time them.
from apps.messaging import broker, inbox, routing
from apps.messaging.consumers import EventConsumer, malformed
from apps.messaging.failures import declare_dead_letters, record_failure, retry_or_dead_letter
from apps.observability import metrics, tracing
from apps.platform.outages import DATABASE, dependency_of

log = structlog.get_logger(__name__)

GATHER_SECONDS = 0.005
JSON = "application/json"


class ConsumerRunner:
    """Runs consumers on one connection until told to stop."""

    def __init__(
        self,
        consumers: Sequence[EventConsumer],
        *,
        max_attempts: int | None = None,
        batch_size: int = 200,
        shards: int | None = None,
        only_shards: Sequence[int] | None = None,
    ) -> None:
        """Run ``consumers`` on their queues of a ``shards``-shard layout (``EVENTS_CONSUMER_SHARDS``).

        ``only_shards``: these shards of each consumer, not all of them (one runner per shard keeps
        each aggregate's order while several share the work). ValueError for a shard that does not exist.
        """
        if not consumers:
            raise ValueError("no consumers to run")
        self.consumers = list(consumers)
        self.shards = shards or settings.EVENTS_CONSUMER_SHARDS
        routing.check_shards(self.shards)
        self.only_shards = sorted(set(range(self.shards) if only_shards is None else only_shards))
        for shard in self.only_shards:
            if not 0 <= shard < self.shards:
                raise ValueError(
                    f"shard {shard} does not exist: with {self.shards} shard(s) they are 0 to {self.shards - 1}"
                )
        self.max_attempts = max_attempts or settings.CONSUMER_MAX_ATTEMPTS
        self.batch_size = batch_size
        self.handled = 0
        self._buffer: list[tuple[EventConsumer, Any, Message]] = []
        #: Handled messages whose ack waits for the end of the flush (RabbitMQ only: see ``_settle``).
        self._acks: list[Message] = []
        self._defer_acks = False

    def declare(self, conn: Connection) -> list[Queue]:
        amqp = broker.is_amqp(conn)
        channel = conn.default_channel
        broker.events_exchange()(channel).declare()
        if amqp:
            declare_dead_letters(channel)
        queues = [
            consumer.queue(dead_letters=amqp, shard=shard, shards=self.shards)
            for consumer in self.consumers
            for shard in self.only_shards
        ]
        for queue in queues:
            queue(channel).declare()
        return queues

    def queue_consumers(self) -> dict[str, EventConsumer]:
        """The consumer each queue this runner reads belongs to, by queue name."""
        return {
            consumer.shard_queue_name(shard, self.shards): consumer
            for consumer in self.consumers
            for shard in self.only_shards
        }

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
        self._defer_acks = broker.is_amqp(conn)
        broker.read_ahead(conn)
        by_queue = self.queue_consumers()
        idle_since = time.monotonic()
        consumers = [
            Consumer(
                conn.default_channel,
                queues=[queue],
                on_message=self._on_message(by_queue[queue.name]),
                on_decode_error=self._decode_error(by_queue[queue.name]),
                accept=[JSON],
                prefetch_count=self.batch_size,
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
                    # Gather what is already waiting (up to a batch), then handle it together.
                    while len(self._buffer) < self.batch_size:
                        conn.drain_events(timeout=GATHER_SECONDS)
                self._flush()
                if self.handled != before:
                    idle_since = time.monotonic()
                elif idle_timeout is not None and time.monotonic() - idle_since >= idle_timeout:
                    break
        finally:
            self._flush()
            for consumer in consumers:
                consumer.cancel()
        return self.handled

    def _on_message(self, consumer: EventConsumer) -> Callable[[Message], None]:
        """Buffer the message with its body decoded here, by the standard library's JSON parser.

        Envelopes are plain JSON, so kombu's decoder (a Python hook called for every
        object, looking for its own type markers) is not needed: this costs a third of it.
        """

        def on_message(message: Message) -> None:
            if message.content_type != JSON:
                problem = ContentDisallowed(f"refusing to deserialize content of type {message.content_type}")
                self.handle_undecodable(consumer, message, problem)
                return
            try:
                body = json.loads(message.body)
            except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
                self.handle_undecodable(consumer, message, exc)
                return
            self._buffer.append((consumer, body, message))

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
            _count(consumer, "dead")

    def _flush(self) -> None:
        """Handle the gathered messages: in batches where the consumer can, one by one otherwise."""
        buffer, self._buffer = self._buffer, []
        try:
            self._handle_buffer(buffer)
        except BaseException:
            self._settle(all_settled=False)
            raise
        self._settle(all_settled=True)

    def _ack(self, message: Message) -> None:
        if self._defer_acks:
            self._acks.append(message)
        else:
            message.ack()

    def _settle(self, *, all_settled: bool) -> None:
        """Send the deferred acks: one ``multiple`` ack when every earlier delivery is settled, else one each.

        A flush that ran to the end has acked, rejected or requeued every message it
        was given, and nothing delivered before it is outstanding, so one ack of the
        highest tag with ``multiple=True`` covers exactly the handled messages: one
        frame per batch instead of one per message, for the consumer and for RabbitMQ.
        """
        acks, self._acks = self._acks, []
        if not acks:
            return
        if all_settled:
            max(acks, key=lambda message: message.delivery_tag).ack(multiple=True)
            return
        for message in acks:
            message.ack()

    def _handle_buffer(self, buffer: list[tuple[EventConsumer, Any, Message]]) -> None:
        by_consumer: dict[str, list[tuple[Any, Message]]] = {}
        consumers: dict[str, EventConsumer] = {}
        for consumer, body, message in buffer:
            consumers[consumer.name] = consumer
            by_consumer.setdefault(consumer.name, []).append((body, message))
        for name, items in by_consumer.items():
            consumer = consumers[name]
            batchable = [(b, m) for b, m in items if malformed(b) is None]
            if consumer.handle_batch is None or len(batchable) < 2:
                for body, message in items:
                    self.handle_message(consumer, body, message)
                continue
            for body, message in items:
                if malformed(body) is not None:
                    self.handle_message(consumer, body, message)
            self._handle_batch(consumer, batchable)

    def _handle_batch(self, consumer: EventConsumer, items: list[tuple[Any, Message]]) -> None:
        # The batch's work (its SQL) is a trace of its own; each event gets a span in its command's
        # trace, linked to the batch, from the batch's start to its end.
        attributes = {"messaging.batch.message_count": len(items), "orderflow.consumer": consumer.name}
        with tracing.span(
            f"{consumer.name} process batch", kind=SpanKind.CONSUMER, root=True, attributes=attributes
        ) as batch:
            spans = _process_spans(consumer, items, batch) if batch is not None else []
            try:
                as_batch = self._handle_batch_in_span(consumer, items, spans)
            except BaseException as exc:
                for span in spans:
                    tracing.end(span, f"{type(exc).__name__}: {exc}")
                raise
            for span in spans:  # after a failed batch each event was handled again, in a span of its own
                tracing.end(span, None if as_batch else "the batch failed; handled on its own")

    def _handle_batch_in_span(
        self, consumer: EventConsumer, items: list[tuple[Any, Message]], spans: list[Span | None]
    ) -> bool:
        """Deliver ``items`` as one batch; False when it failed and they were handled one by one instead."""
        handled_now: list[int] = []
        try:
            waiting = inbox.deliver_batch(consumer, [body for body, _ in items], handled_now=handled_now)
        except Exception as exc:
            if dependency_of(exc) == DATABASE:
                raise  # an outage, not this batch's fault: nothing is acked, the broker delivers it again
            # Find the culprit: one by one, each message fails (and is retried or dead-lettered) on its own.
            log.warning("batch failed; handling its messages one by one", consumer=consumer.name, error=repr(exc))
            for body, message in items:
                self.handle_message(consumer, body, message)
            return False
        now = time.time()
        fresh = set(handled_now)
        longest_wait = 0.0
        for position, (body, message) in enumerate(items):
            self.handled += 1
            if position not in waiting:
                self._ack(message)
                if position in fresh:
                    _handled(consumer, body, now)
                else:
                    _count(consumer, "duplicate")
                continue
            error = f"RetryLater: {waiting[position]}"
            if spans:
                tracing.end(spans[position], error)
                spans[position] = None
            with structlog.contextvars.bound_contextvars(consumer=consumer.name, event_id=str(body["event_id"])):
                delay = retry_or_dead_letter(consumer, body, message, error, max_attempts=self.max_attempts, hold=False)
            _count(consumer, "retried" if delay else "dead")
            longest_wait = max(longest_wait, delay)
        if longest_wait:
            time.sleep(longest_wait)
        return True

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
                _count(consumer, "dead")
                return
            if not tracing.enabled():
                self._deliver(consumer, body, message, None)
                return
            with tracing.span(
                f"{consumer.name} process",
                kind=SpanKind.CONSUMER,
                parent=traceparent_of(body, message),
                root=True,
                attributes=_span_attributes(consumer, body),
            ) as span:
                self._deliver(consumer, body, message, span)

    def _deliver(self, consumer: EventConsumer, body: Any, message: Message, span: Span | None) -> None:
        try:
            first_time = inbox.deliver(consumer, body)
        except Exception as exc:
            if dependency_of(exc) == DATABASE:
                raise  # an outage is no failed attempt of this message: it stays unacked, delivered again
            error = f"{type(exc).__name__}: {exc}"
            tracing.fail(span, error, exc)
            delay = retry_or_dead_letter(consumer, body, message, error, max_attempts=self.max_attempts, hold=True)
            self.handled += 1
            _count(consumer, "retried" if delay else "dead")  # dead-lettered: no backoff (0)
            return
        self._ack(message)
        self.handled += 1
        if first_time:
            _handled(consumer, body, time.time())
        else:
            _count(consumer, "duplicate")
            if span is not None:
                span.set_attribute("orderflow.duplicate", True)
        log.debug("event handled" if first_time else "duplicate event ignored")


def traceparent_of(body: Any, message: Message) -> str | None:
    """The trace context a message continues: its ``traceparent`` header, else its envelope's."""
    for candidate in ((message.headers or {}).get(tracing.HEADER), body.get("traceparent")):
        if isinstance(candidate, str) and candidate:  # whatever else a sender put there is no context
            return candidate
    return None


def _span_attributes(consumer: EventConsumer, body: Any) -> dict[str, Any]:
    return {
        "messaging.system": broker.messaging_system(),
        "messaging.operation.type": "process",
        "messaging.consumer.group.name": consumer.name,
        "messaging.message.id": str(body["event_id"]),
        "orderflow.consumer": consumer.name,
        "orderflow.event_type": str(body["event_type"]),
        "orderflow.correlation_id": str(body.get("correlation_id") or ""),
    }


def _process_spans(consumer: EventConsumer, items: list[tuple[Any, Message]], batch: Span) -> list[Span | None]:
    links = tracing.link_to(batch)
    return [
        tracing.start_span(
            f"{consumer.name} process",
            kind=SpanKind.CONSUMER,
            parent=traceparent_of(body, message),
            root=True,
            links=links,
            attributes=_span_attributes(consumer, body),
        )
        for body, message in items
    ]


# --- Metrics ---------------------------------------------------------------------------------------


def _count(consumer: EventConsumer, outcome: str) -> None:
    """One event of ``consumer`` ended as ``outcome``: handled, duplicate, retried or dead."""
    metrics.child(metrics.CONSUMER_EVENTS, consumer.name, outcome).inc()


def _handled(consumer: EventConsumer, body: Any, now: float) -> None:
    """Count a handled event, and its lag: from when it occurred (its envelope's ``occurred_at``) to ``now``."""
    _count(consumer, "handled")
    occurred = lag_since(body.get("occurred_at"), now)
    if occurred is None:
        return
    metrics.child(metrics.CONSUMER_LAG, consumer.name).observe(occurred)


def lag_since(occurred_at: Any, now: float) -> float | None:
    """Seconds from ``occurred_at`` (ISO 8601 with an offset) to ``now`` (Unix time), never below 0; None when
    it is missing or no such time (a clock ahead of ours gives 0, not a negative lag)."""
    if not isinstance(occurred_at, str):
        return None
    try:
        occurred = datetime.fromisoformat(occurred_at)
    except ValueError:
        return None
    if occurred.tzinfo is None:
        return None
    return max(0.0, now - occurred.timestamp())
