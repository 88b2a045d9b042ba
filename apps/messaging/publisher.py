"""Publishing integration-event envelopes to the topic exchange.

The routing key is the event type followed by the slot of the event's stream
(``apps.messaging.routing``), which sharded consumer queues bind to. On RabbitMQ
every message is persistent and confirmed by the broker (publisher confirms).
Rather than waiting for each confirm in turn, a batch is sent and its confirms
are awaited together: the guarantee is the same (nothing counts as
published until the broker has acknowledged it), the round trips are not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import amqp
from amqp import spec
from kombu import Connection, Producer

from apps.messaging import broker, routing


class BrokerUnavailable(Exception):
    """The broker cannot be reached; nothing of the batch counts as published."""


@dataclass
class PublishReport:
    """Which envelopes of a batch the broker took (by position), and why the others failed."""

    published: set[int] = field(default_factory=set)
    failed: dict[int, str] = field(default_factory=dict)


class EventPublisher:
    """Keeps one connection open across batches; reconnects after a failure."""

    def __init__(self, *, confirm_timeout: float = 10.0) -> None:
        self._confirm_timeout = confirm_timeout
        self._conn: Connection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.release()
            self._conn = None

    def ensure_connected(self) -> None:
        """Raise BrokerUnavailable unless the broker answers (the exchange is declared once per connection)."""
        if self._conn is not None and self._conn.connected:
            return  # a connection that died unnoticed fails the next publish, which closes it
        try:
            self._conn = self._conn or broker.connection(connect_timeout=3)
            self._conn.ensure_connection(max_retries=1, interval_start=0, timeout=3)
            broker.events_exchange()(self._conn.default_channel).declare()
        except Exception as exc:  # kombu raises a different family per transport
            self.close()
            raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def publish(
        self,
        envelopes: Sequence[Mapping[str, Any]],
        *,
        skip: set[int] | None = None,
        bodies: Sequence[str] | None = None,
        headers: Sequence[Mapping[str, str]] | None = None,
    ) -> PublishReport:
        """Publish ``envelopes`` in order, leaving out the positions in ``skip``.

        ``bodies`` are the envelopes already serialised (``check_envelope`` returns
        them), so a batch is turned into JSON once; ``headers``, each message's headers
        (its ``traceparent``). Raises BrokerUnavailable when the connection fails midway.
        """
        self.ensure_connected()
        assert self._conn is not None
        try:
            if broker.is_amqp(self._conn):
                return self._publish_confirmed(envelopes, skip or set(), bodies, headers)
            return self._publish_plain(envelopes, skip or set(), headers)
        except (OSError, amqp.exceptions.ConnectionError, amqp.exceptions.RecoverableConnectionError) as exc:
            self.close()
            raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _publish_plain(
        self, envelopes: Sequence[Mapping[str, Any]], skip: set[int], headers: Sequence[Mapping[str, str]] | None
    ) -> PublishReport:
        report = PublishReport()
        producer = Producer(self._conn.default_channel, exchange=broker.events_exchange())
        for index, envelope in enumerate(envelopes):
            if index in skip:
                continue
            try:
                producer.publish(
                    dict(envelope),
                    routing_key=routing.routing_key(envelope),
                    serializer="json",
                    delivery_mode=broker.DELIVERY_PERSISTENT,
                    message_id=str(envelope["event_id"]),
                    headers=dict(headers[index]) if headers else None,
                )
            except (TypeError, ValueError, KeyError) as exc:
                report.failed[index] = f"{type(exc).__name__}: {exc}"
                continue
            report.published.add(index)
        return report

    def _publish_confirmed(
        self,
        envelopes: Sequence[Mapping[str, Any]],
        skip: set[int],
        bodies: Sequence[str] | None,
        headers: Sequence[Mapping[str, str]] | None,
    ) -> PublishReport:
        channel: amqp.Channel = self._conn.default_channel  # type: ignore[assignment]
        if not channel._confirm_selected:
            channel.confirm_select()
            channel._confirm_selected = True
            channel._orderflow_next_tag = 1  # type: ignore[attr-defined]
        acked: set[int] = set()
        nacked: set[int] = set()
        by_tag: dict[int, int] = {}
        first_tag = channel._orderflow_next_tag  # type: ignore[attr-defined]

        def on_ack(delivery_tag: int, multiple: bool) -> None:
            acked.update(_tags(delivery_tag, multiple, first_tag))

        def on_nack(delivery_tag: int, multiple: bool) -> None:
            nacked.update(_tags(delivery_tag, multiple, first_tag))

        report = PublishReport()
        channel.events["basic_ack"].add(on_ack)
        channel.events["basic_nack"].add(on_nack)
        try:
            exchange = broker.events_exchange().name
            broker.read_ahead(self._conn)
            with _coalesced_writes(channel.connection.transport):
                self._send(channel, exchange, envelopes, skip, bodies, headers, report, by_tag)
            while by_tag and not all(tag in acked or tag in nacked for tag in by_tag):
                channel.wait([spec.Basic.Ack, spec.Basic.Nack], timeout=self._confirm_timeout)
        finally:
            channel.events["basic_ack"].discard(on_ack)
            channel.events["basic_nack"].discard(on_nack)
        for tag, index in by_tag.items():
            if tag in acked and tag not in nacked:
                report.published.add(index)
            else:
                report.failed[index] = "the broker refused the message (nack)"
        return report

    @staticmethod
    def _send(
        channel: amqp.Channel,
        exchange: str,
        envelopes: Sequence[Mapping[str, Any]],
        skip: set[int],
        bodies: Sequence[str] | None,
        headers: Sequence[Mapping[str, str]] | None,
        report: PublishReport,
        by_tag: dict[int, int],
    ) -> None:
        """Send the batch's messages, noting each one's delivery tag (its publish sequence number)."""
        for index, envelope in enumerate(envelopes):
            if index in skip:
                continue
            try:
                message = amqp.Message(
                    bodies[index] if bodies else json.dumps(envelope, separators=(",", ":")),
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=broker.DELIVERY_PERSISTENT,
                    message_id=str(envelope["event_id"]),
                    application_headers=dict(headers[index]) if headers else None,
                )
                routing_key = routing.routing_key(envelope)
                if len(routing_key.encode()) > 255:
                    raise ValueError("the event type is longer than an AMQP routing key may be")
            except (TypeError, ValueError, KeyError) as exc:
                report.failed[index] = f"{type(exc).__name__}: {exc}"
                continue
            tag = channel._orderflow_next_tag  # type: ignore[attr-defined]
            channel._basic_publish(message, exchange=exchange, routing_key=routing_key)
            channel._orderflow_next_tag = tag + 1  # type: ignore[attr-defined]
            by_tag[tag] = index


EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")


def check_envelope(envelope: Mapping[str, Any]) -> str:
    """The envelope as JSON; ValueError (or TypeError) for one that must not be published.

    The event type is the routing key: it must look like ``context.event_name``,
    so that no ``*`` or ``#`` in it can ever match a binding it was not meant for.
    """
    if not EVENT_TYPE.fullmatch(str(envelope.get("event_type", ""))):
        raise ValueError(f"event type {envelope.get('event_type')!r} is not a valid routing key")
    return json.dumps(envelope, separators=(",", ":"))


@contextmanager
def _coalesced_writes(transport: Any, *, flush_at: int = 64 * 1024) -> Iterator[None]:
    """Send the frames written inside the block in a few large writes instead of one per message.

    py-amqp hands each message's frames to the socket on its own (one ``sendall``
    each, a system call per message and a small TCP segment for the broker to
    read). Here they are gathered and sent every ``flush_at`` bytes and at the
    end, also when the block fails: whatever was written counts as sent, as
    before. The frames are copied, since py-amqp reuses its frame buffer.
    """
    send = getattr(transport, "_write", None)
    if send is None:  # a transport that does not write through ``_write``: leave it alone
        yield
        return
    pending: list[bytes] = []
    size = 0

    def gather(data: Any) -> None:
        nonlocal size
        pending.append(bytes(data))
        size += len(data)
        if size >= flush_at:
            flush()

    def flush() -> None:
        nonlocal size
        if pending:
            chunk = b"".join(pending)
            pending.clear()
            size = 0
            send(chunk)

    transport._write = gather
    try:
        yield
    finally:
        transport._write = send
        flush()


def _tags(delivery_tag: int, multiple: bool, first: int) -> range | tuple[int]:
    return range(first, delivery_tag + 1) if multiple else (delivery_tag,)
