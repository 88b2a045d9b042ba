"""The events broker: one durable topic exchange, routing key = event type and stream slot (``routing``).

RabbitMQ in the real stack (``amqp://``), Redis as an alternative
(``redis://``), and kombu's filesystem transport for the embedded default. The
same code runs on all three; only ``EVENTS_BROKER_URL`` differs.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from kombu import Connection, Exchange

DELIVERY_PERSISTENT = 2


def events_exchange() -> Exchange:
    return Exchange(settings.EVENTS_EXCHANGE, type="topic", durable=True)


def dead_letter_exchange() -> Exchange:
    return Exchange(settings.EVENTS_DEAD_LETTER_EXCHANGE, type="topic", durable=True)


def connection(**kwargs: object) -> Connection:
    """A new (lazy) connection to the events broker; the caller closes it."""
    options = dict(settings.EVENTS_TRANSPORT_OPTIONS)
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if key in options:
            Path(str(options[key])).mkdir(parents=True, exist_ok=True)
    return Connection(settings.EVENTS_BROKER_URL, transport_options=options, **kwargs)


def messaging_system() -> str:
    """The broker's kind as OpenTelemetry's ``messaging.system`` names it: rabbitmq, redis, or the transport."""
    scheme = str(settings.EVENTS_BROKER_URL).split(":", 1)[0].split("+", 1)[0]
    return {"amqp": "rabbitmq", "amqps": "rabbitmq", "pyamqp": "rabbitmq"}.get(scheme, scheme)


def is_amqp(conn: Connection) -> bool:
    return conn.transport_cls in {"amqp", "pyamqp"} or conn.transport.driver_type == "amqp"


def read_ahead(conn: Connection, *, size: int = 64 * 1024) -> None:
    """Let an AMQP connection read what the socket holds, not one frame's bytes at a time.

    py-amqp asks the socket for exactly the bytes of the frame it is reading: two
    system calls per frame, and a delivered message is three frames. Its reader keeps
    whatever arrives beyond the frame for the next one, so asking for up to ``size``
    bytes at once is safe, and a batch of confirms or deliveries is then read in a
    few calls. Only for connections this code drains itself (``drain_events``), never
    for Celery's, whose event loop polls the socket.
    """
    if not is_amqp(conn):
        return
    transport = getattr(conn.connection, "transport", None)
    recv = getattr(transport, "_quick_recv", None)
    sock = getattr(transport, "sock", None)
    if recv is None or sock is None or getattr(transport, "_orderflow_read_ahead", False):
        return
    transport._quick_recv = lambda wanted: sock.recv(max(wanted, size))
    transport._orderflow_read_ahead = True
