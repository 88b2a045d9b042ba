"""The dead-letter queue on RabbitMQ: its bound, applied as an operator policy, and how many messages it holds.

Every dead letter is a ``DeliveryFailure`` row: that is the record the admin and
``replay_dead_letters`` work from. On RabbitMQ the rejected message also reaches
the queue ``EVENTS_DEAD_LETTER_QUEUE`` through the dead-letter exchange, where it
keeps its headers (``x-death``) for inspection. Nothing consumes that queue, so it
is bounded: at most ``EVENTS_DEAD_LETTER_MAX_LENGTH`` messages, each kept at most
``EVENTS_DEAD_LETTER_RETENTION_DAYS``, the oldest dropped first (RabbitMQ's
default overflow, drop-head).

The bound is an operator policy set through the management HTTP API (ADR-0008),
not queue arguments: arguments cannot change on a declared queue (redeclaring it
with others fails with PRECONDITION_FAILED), a policy changes at any time, and an
operator policy is merged with whatever user policy the broker's operators keep
for the vhost, the lower limit winning.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django.conf import settings
from kombu import Connection
from kombu.exceptions import OperationalError

from apps.messaging import broker

#: The operator policy's name, on the vhost of EVENTS_BROKER_URL.
POLICY_NAME = "orderflow-dead-letters"
#: Above any catch-all operator policy (priority 0), so this one applies to the dead-letter queue.
POLICY_PRIORITY = 10
#: Seconds a status reading (outbox_status, the admin) waits for the broker before saying it is unavailable.
BROKER_TIMEOUT = 2.0
#: Seconds each call to the management API may take.
MANAGEMENT_TIMEOUT = 5.0
DAY_MS = 24 * 3600 * 1000
NOT_FOUND = 404
HINTS = {
    401: ": operator policies need a user with the administrator tag; EVENTS_BROKER_MANAGEMENT_URL can name one",
    404: ": is EVENTS_BROKER_MANAGEMENT_URL the management API's address, and the vhost declared?",
}


class RetentionError(Exception):
    """The bound could not be applied; the message is one line and names what to do."""


@dataclass(frozen=True)
class Retention:
    """How much of the dead-letter queue RabbitMQ keeps: a number of messages and an age (None: no bound)."""

    max_length: int | None
    ttl_ms: int | None

    @classmethod
    def configured(cls) -> Retention:
        days = settings.EVENTS_DEAD_LETTER_RETENTION_DAYS
        return cls(max_length=settings.EVENTS_DEAD_LETTER_MAX_LENGTH or None, ttl_ms=days * DAY_MS if days else None)

    @property
    def bounded(self) -> bool:
        return self.max_length is not None or self.ttl_ms is not None

    def definition(self) -> dict[str, int]:
        """The policy's definition: RabbitMQ's ``max-length`` (messages) and ``message-ttl`` (milliseconds)."""
        definition = {}
        if self.max_length is not None:
            definition["max-length"] = self.max_length
        if self.ttl_ms is not None:
            definition["message-ttl"] = self.ttl_ms
        return definition

    def describe(self) -> str:
        """``at most 10,000 messages, each kept 14 d``, or ``unbounded``."""
        parts = []
        if self.max_length is not None:
            parts.append(f"at most {self.max_length:,} message{'' if self.max_length == 1 else 's'}")
        if self.ttl_ms is not None:
            parts.append(f"each kept {_duration(self.ttl_ms)}")
        return ", ".join(parts) or "unbounded"


def _duration(ms: int) -> str:
    if ms % DAY_MS == 0:
        return f"{ms // DAY_MS} d"
    if ms % 1000 == 0:
        return f"{ms // 1000} s"
    return f"{ms} ms"


def policy(queue: str, retention: Retention) -> dict[str, Any]:
    """The operator policy bounding ``queue`` alone (the management API's representation)."""
    return {
        "pattern": f"^{re.escape(queue)}$",
        "definition": retention.definition(),
        "priority": POLICY_PRIORITY,
        "apply-to": "queues",
    }


# --- The management HTTP API ---------------------------------------------------------------------


class ManagementApi:
    """The few calls of RabbitMQ's management HTTP API that the bound needs, each with a timeout.

    ``url`` is ``http(s)://user:password@host:port`` (a path prefix, as behind a proxy, is kept).
    Every failure is a ``RetentionError`` with a one-line message that never shows the password.
    """

    def __init__(self, url: str, *, timeout: float = MANAGEMENT_TIMEOUT) -> None:
        parts = urlsplit(url)
        shown = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))  # never the credentials
        expected = f"the management API URL must be http(s)://user:password@host:port, not {shown!r}"
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise RetentionError(expected)
        try:
            port = f":{parts.port}" if parts.port else ""
        except ValueError:  # a port that is no number, or out of range
            raise RetentionError(expected) from None
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self.base = f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"
        credentials = f"{_unquote(parts.username)}:{_unquote(parts.password)}".encode()
        self._authorization = "Basic " + base64.b64encode(credentials).decode()
        self.timeout = timeout

    def operator_policy(self, vhost: str, name: str) -> dict[str, Any] | None:
        """The operator policy ``name`` of ``vhost``, or None when there is none."""
        return self._call("GET", self._policy_path(vhost, name))

    def put_operator_policy(self, vhost: str, name: str, body: dict[str, Any]) -> None:
        self._call("PUT", self._policy_path(vhost, name), body)

    def delete_operator_policy(self, vhost: str, name: str) -> None:
        self._call("DELETE", self._policy_path(vhost, name))

    @staticmethod
    def _policy_path(vhost: str, name: str) -> str:
        return f"/api/operator-policies/{quote(vhost, safe='')}/{quote(name, safe='')}"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": self._authorization, "Content-Type": "application/json"},
        )
        try:
            # The scheme was checked to be http(s) in __init__ (bandit's B310 is about file: and custom schemes).
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310
                content = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == NOT_FOUND and method != "PUT":
                return None
            hint = HINTS.get(exc.code, "")
            raise RetentionError(
                f"the management API at {self.base} answered {exc.code} ({_reason(exc)}){hint}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, socket.timeout | TimeoutError):
                reason = f"no answer within {self.timeout:g} s"
            raise RetentionError(
                f"the management API at {self.base} cannot be reached ({reason}): enable the rabbitmq_management "
                "plugin, or set EVENTS_BROKER_MANAGEMENT_URL to where it listens"
            ) from None
        return json.loads(content) if content else None


def _unquote(value: str | None) -> str:
    return unquote(value or "")


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        body = {}
    reason = body.get("reason") if isinstance(body, dict) else None
    return " ".join(str(reason or exc.reason).split())


def management_url(conn: Connection) -> str:
    """EVENTS_BROKER_MANAGEMENT_URL, or the broker's host and credentials on the management plugin's port."""
    if settings.EVENTS_BROKER_MANAGEMENT_URL:
        return str(settings.EVENTS_BROKER_MANAGEMENT_URL)
    secure = bool(conn.ssl) or conn.transport_cls == "amqps"
    scheme, port = ("https", 15671) if secure else ("http", 15672)
    credentials = f"{quote(conn.userid or 'guest', safe='')}:{quote(str(conn.password or 'guest'), safe='')}"
    host = conn.hostname or "localhost"
    return f"{scheme}://{credentials}@{host}:{port}"


# --- Applying the bound ----------------------------------------------------------------------------


def apply_retention(
    api: ManagementApi, *, vhost: str, queue: str | None = None, retention: Retention | None = None
) -> str:
    """Make the operator policy bound the dead-letter queue as configured (idempotent); say what was done.

    Answers ``set``, ``unchanged``, ``removed`` (no bound configured: the policy is deleted) or
    ``unbounded`` (no bound, no policy). Raises ``RetentionError``.
    """
    queue = queue or settings.EVENTS_DEAD_LETTER_QUEUE
    retention = retention or Retention.configured()
    current = api.operator_policy(vhost, POLICY_NAME)
    if not retention.bounded:
        if current is None:
            return "unbounded"
        api.delete_operator_policy(vhost, POLICY_NAME)
        return "removed"
    wanted = policy(queue, retention)
    if current is not None and all(current.get(key) == value for key, value in wanted.items()):
        return "unchanged"
    api.put_operator_policy(vhost, POLICY_NAME, wanted)
    return "set"


# --- Reading the queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueReading:
    """What the dead-letter queue holds now: ``messages``, or why it is not known (``detail``)."""

    name: str
    messages: int | None
    detail: str = ""
    #: True when the broker could not be asked (down, refusing, too slow): the figure is missing, not zero.
    broker_unavailable: bool = False


def read_queue(*, timeout: float = BROKER_TIMEOUT) -> QueueReading:
    """Count the messages in the dead-letter queue with a passive declare, waiting at most about ``timeout``.

    Never raises for the broker's sake: an unreachable or slow broker is a reading that says so.
    """
    name = settings.EVENTS_DEAD_LETTER_QUEUE
    conn = Connection(
        settings.EVENTS_BROKER_URL,
        connect_timeout=timeout,
        transport_options={"read_timeout": timeout, "write_timeout": timeout},
    )
    try:
        if not broker.is_amqp(conn):
            return QueueReading(name, None, "none: the events broker is not RabbitMQ")
        conn.ensure_connection(max_retries=0, timeout=timeout)
        channel = conn.channel()
        try:
            _, messages, _ = channel.queue_declare(queue=name, passive=True)
        except conn.channel_errors as exc:
            if getattr(exc, "code", None) == NOT_FOUND:
                return QueueReading(name, None, "not declared yet (declare_event_topology declares it)")
            raise
        return QueueReading(name, int(messages))
    except (OSError, OperationalError, *conn.connection_errors, *conn.channel_errors) as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        return QueueReading(name, None, f"events broker unavailable: {text}", broker_unavailable=True)
    finally:
        conn.release()
