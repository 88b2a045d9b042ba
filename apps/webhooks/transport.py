"""Sends one webhook request to a receiver: only to vetted addresses, bounded in time and in size.

``post`` checks the URL again (``check_destination``: the DNS answer may have changed since the
subscription was made) and connects to the addresses it vetted, in order, never to a second lookup of
the name, so that a DNS answer changing between the check and the connection (DNS rebinding) cannot
lead it elsewhere. The name still goes where it belongs: in the ``Host`` header and, for https, in
the TLS handshake (SNI), where the certificate is verified against it.

Its bounds: the connection must be accepted within the connect timeout (per address tried); once
it is, sending the request and receiving the whole answer must end within the read timeout, however
slowly the receiver trickles bytes; at most ``response_body_bytes`` of the answer's body are read, and
the connection is closed with the rest unread. Redirects are never followed: a 3xx is the answer. A
payload larger than ``max_payload_bytes`` is not sent at all (``PayloadTooLarge``).

Apart from that refusal, ``post`` never raises for what happens on the network: a refused destination,
a connection refused, a timeout or a TLS failure is a ``Response`` whose ``status`` is None and whose
``error`` says what happened, which is what a delivery records before it is retried.

Each call opens its own connection and closes it (no pooling): connections cannot be shared across
deliveries when every delivery must check its destination again.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from types import TracebackType

from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError
from urllib3.response import BaseHTTPResponse
from urllib3.util.ssl_match_hostname import CertificateError

from apps.webhooks.destinations import (
    AllowList,
    Destination,
    Resolve,
    UnsafeDestination,
    check_destination,
)
from domain.webhooks.delivery import AttemptOutcome, TransportError

# The version of what orderflow sends (Standard Webhooks headers, JSON bodies), for receivers' logs.
USER_AGENT = "orderflow-webhooks/1.0"
# Headers ``post`` writes itself, whatever the caller passes under these names (in any case).
SET_BY_TRANSPORT = frozenset({"host", "user-agent", "connection", "content-length", "transfer-encoding"})
# Read the body in pieces of at most this many bytes, so a deadline can cut in between.
READ_CHUNK_BYTES = 16 * 1024
#: The most addresses of one host tried in turn, so that the longest a request can take is known
#: (``longest_request``): a name with many unreachable addresses cannot stretch it.
MAX_ADDRESSES = 4


class PayloadTooLarge(ValueError):
    """The payload exceeds ``max_payload_bytes``: it is never sent, to this receiver or any other."""


@dataclass(frozen=True)
class Limits:
    """How long a request may take and how much it may carry (WEBHOOKS_* settings)."""

    connect_timeout: float
    read_timeout: float
    max_payload_bytes: int
    response_body_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            connect_timeout=settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS,
            read_timeout=settings.WEBHOOKS_READ_TIMEOUT_SECONDS,
            max_payload_bytes=settings.WEBHOOKS_MAX_PAYLOAD_BYTES,
            response_body_bytes=settings.WEBHOOKS_RESPONSE_BODY_BYTES,
        )


@dataclass(frozen=True)
class Response:
    """What became of one request: the receiver's answer, or why there was none (``error``)."""

    status: int | None  # None: no answer (see ``error``)
    error: str | None  # None when the receiver answered, whatever its status
    duration_ms: int  # from the check of the destination to the last byte read
    body: bytes = b""  # the first ``response_body_bytes`` of the answer's body
    body_truncated: bool = False  # the body went on past what was read (or past the deadline)
    content_type: str | None = None
    retry_after_seconds: int | None = None  # Retry-After, either form, as seconds from the answer
    address: str | None = None  # the vetted address the request went to
    failure: TransportError | None = None  # what kind of failure ``error`` describes

    @property
    def outcome(self) -> AttemptOutcome:
        """The attempt's outcome as the delivery records it: the status, or the kind of failure."""
        if self.status is not None:
            return AttemptOutcome.from_status(self.status)
        return AttemptOutcome.from_error(self.failure or TransportError.CONNECTION)

    @property
    def succeeded(self) -> bool:
        """The receiver took the delivery: it answered with a 2xx status."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def longest_request(limits: Limits) -> float:
    """Seconds one ``post`` can take at most once its host is resolved: a connection to each address it
    may try (the TCP connection and the TLS handshake, each within the connect timeout: CPython bounds a
    handshake as a whole, not each read of it), then the exchange."""
    return MAX_ADDRESSES * 2 * limits.connect_timeout + limits.read_timeout


def post(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    allowed: AllowList,
    limits: Limits,
    resolve: Resolve | None = None,
    tls_context: ssl.SSLContext | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Response:
    """POST ``body`` to ``url`` with ``headers`` (plus Host, User-Agent and Connection: close, which
    it sets; Content-Type defaults to application/json), after checking ``url`` with ``allowed``.

    Raises ``PayloadTooLarge`` before anything else when ``body`` exceeds ``limits.max_payload_bytes``;
    answers every other outcome as a ``Response``. ``tls_context`` is the trust for https (default: the
    system's certificate authorities); ``now`` reads an HTTP-date Retry-After when the answer has no Date.
    """
    if len(body) > limits.max_payload_bytes:
        raise PayloadTooLarge(
            f"The payload is {len(body)} bytes; webhooks carry at most {limits.max_payload_bytes} bytes."
        )
    started = time.monotonic()
    try:
        destination = check_destination(url, allowed=allowed, resolve=resolve)
    except UnsafeDestination as exc:
        return _no_answer(started, f"refused: {_clause(str(exc))}", failure=TransportError.BLOCKED_ADDRESS)
    request_headers = {name: value for name, value in headers.items() if name.lower() not in SET_BY_TRANSPORT}
    if not any(name.lower() == "content-type" for name in request_headers):
        request_headers["Content-Type"] = "application/json"
    request_headers.update({"Host": destination.host_header, "User-Agent": USER_AGENT, "Connection": "close"})

    error, failure = "", TransportError.CONNECTION
    for address in destination.addresses[:MAX_ADDRESSES]:
        connection = _connection(destination, address, limits, tls_context)
        try:
            try:
                connection.connect()
            except (ssl.SSLError, CertificateError) as exc:
                return _no_answer(started, f"TLS: {_tls_reason(exc)}", address, failure=TransportError.TLS)
            except (OSError, HTTPError) as exc:
                error = _connect_error(exc, limits)
                failure = TransportError.TIMEOUT if "timeout" in error else TransportError.CONNECTION
                continue  # nothing was sent: the next address may take it
            connection.timeout = limits.read_timeout
            return _exchange(connection, destination, address, body, request_headers, limits, started, now)
        finally:
            connection.close()
    return _no_answer(started, error, failure=failure)


def _connection(
    destination: Destination, address: str, limits: Limits, tls_context: ssl.SSLContext | None
) -> HTTPConnection:
    if destination.scheme == "https":
        return HTTPSConnection(
            address,
            destination.port,
            timeout=limits.connect_timeout,
            server_hostname=destination.host,
            ssl_context=tls_context or _system_trust(),
        )
    return HTTPConnection(address, destination.port, timeout=limits.connect_timeout)


@cache
def _system_trust() -> ssl.SSLContext:
    """Certificates verified against the system's authorities, and against the host name (SNI)."""
    return ssl.create_default_context()


def _exchange(
    connection: HTTPConnection,
    destination: Destination,
    address: str,
    body: bytes,
    headers: Mapping[str, str],
    limits: Limits,
    started: float,
    now: Callable[[], datetime],
) -> Response:
    timed_out = f"read timeout after {limits.read_timeout:.1f} s"
    with _Deadline(connection.sock, limits.read_timeout) as deadline:
        try:
            connection.request(
                "POST", destination.target, body=body, headers=headers, preload_content=False, decode_content=False
            )
            answer = connection.getresponse()
        except (OSError, http.client.HTTPException, HTTPError) as exc:
            if deadline.expired:
                return _no_answer(started, timed_out, address, failure=TransportError.TIMEOUT)
            return _no_answer(started, _exchange_error(exc, limits), address, failure=_exchange_failure(exc))
        if deadline.expired:  # the headers ended where the deadline cut them off: no whole answer
            return _no_answer(started, timed_out, address, failure=TransportError.TIMEOUT)
        received, truncated = _read_capped(answer, limits.response_body_bytes)
        truncated = truncated or deadline.expired
    return Response(
        status=answer.status,
        error=None,
        duration_ms=_elapsed_ms(started),
        body=received,
        body_truncated=truncated,
        content_type=answer.headers.get("Content-Type"),
        retry_after_seconds=retry_after_seconds(answer.headers.get("Retry-After"), answer.headers.get("Date"), now=now),
        address=address,
    )


def _read_capped(answer: BaseHTTPResponse, cap: int) -> tuple[bytes, bool]:
    """At most ``cap`` bytes of the body, and whether there was more (one byte past the cap tells)."""
    received = bytearray()
    while len(received) <= cap:
        try:
            chunk = answer.read1(min(READ_CHUNK_BYTES, cap + 1 - len(received)))
        except (OSError, http.client.HTTPException, HTTPError):
            return bytes(received[:cap]), True  # cut off: by the deadline, or by the receiver
        if not chunk:
            return bytes(received), False
        received += chunk
    return bytes(received[:cap]), True


class _Deadline:
    """Shuts the socket down when the exchange outlasts ``seconds`` in all.

    A socket timeout bounds each read, not their sum: a receiver sending a byte every few seconds would
    never trip it. Shutting the socket down ends whichever read is waiting, at once.
    """

    def __init__(self, sock: socket.socket | None, seconds: float) -> None:
        self.expired = False
        self._sock = sock
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self.expired = True
        if self._sock is not None:
            # The plain socket's shutdown, under TLS too: the TLS layer's own would write to it.
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)


def retry_after_seconds(value: str | None, date: str | None = None, *, now: Callable[[], datetime]) -> int | None:
    """Retry-After as whole seconds to wait (RFC 9110 10.2.3), or None when absent or unreadable.

    Delta-seconds ("120") is taken as it is; an HTTP-date is counted from the answer's own Date header
    when it has one (the receiver's clock against the receiver's clock), from ``now`` otherwise. A date
    in the past is 0.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    reference = now()
    if date:
        with contextlib.suppress(TypeError, ValueError):
            reference = parsedate_to_datetime(date)
    if when.tzinfo is None or reference.tzinfo is None:
        return None
    return max(0, round((when - reference).total_seconds()))


def _connect_error(exc: BaseException, limits: Limits) -> str:
    cause = exc.__cause__ if isinstance(exc, NewConnectionError) and exc.__cause__ else exc
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, TimeoutError | ConnectTimeoutError):
        return f"connect timeout after {limits.connect_timeout:.1f} s"
    if isinstance(cause, OSError) and cause.strerror:
        return f"connection failed: {cause.strerror.lower()}"
    return f"connection failed: {cause}"


def _exchange_error(exc: BaseException, limits: Limits) -> str:
    if isinstance(exc, TimeoutError):
        return f"read timeout after {limits.read_timeout:.1f} s"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP answer: {type(exc).__name__}"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the receiver"
    if isinstance(exc, OSError) and exc.strerror:
        return f"connection lost: {exc.strerror.lower()}"
    return f"connection lost: {exc}"


def _exchange_failure(exc: BaseException) -> TransportError:
    if isinstance(exc, TimeoutError):
        return TransportError.TIMEOUT
    if isinstance(exc, http.client.HTTPException) and not isinstance(exc, http.client.RemoteDisconnected):
        return TransportError.PROTOCOL
    return TransportError.CONNECTION


def _tls_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason).lower().replace("_", " ")
    return str(exc)


def _clause(sentence: str) -> str:
    """ "The host x is ..." as "the host x is ...", to follow "refused: "."""
    return sentence[:1].lower() + sentence[1:].removesuffix(".")


def _no_answer(started: float, error: str, address: str | None = None, *, failure: TransportError) -> Response:
    return Response(status=None, error=error, duration_ms=_elapsed_ms(started), address=address, failure=failure)


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
