"""apps.webhooks.transport.post against real HTTP receivers on local addresses.

The receivers listen on 127.0.0.1 (and 127.0.0.2), which the allow-list lets through; the host names
are answered by fake resolvers and exist in no DNS, so a request that reaches a receiver by name can
only have gone to the address the check vetted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from apps.webhooks.destinations import AllowList, check_destination
from apps.webhooks.transport import (
    MAX_ADDRESSES,
    USER_AGENT,
    Limits,
    PayloadTooLarge,
    longest_request,
    post,
    retry_after_seconds,
)
from domain.webhooks.delivery import TransportError
from tests.support.outages import closed_port
from tests.support.receivers import Exchange, Receiver

LOOPBACK = AllowList.parse(["127.0.0.0/24"])
LIMITS = Limits(connect_timeout=0.5, read_timeout=0.5, max_payload_bytes=4096, response_body_bytes=2048)
PATIENT = Limits(connect_timeout=0.5, read_timeout=5.0, max_payload_bytes=4096, response_body_bytes=2048)
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


class Resolver:
    """Answers each lookup with the next of ``answers`` (the last one over and over), counting lookups."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups += 1
        return self.answers[min(self.lookups, len(self.answers)) - 1]


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    started: list[Receiver] = []
    yield started
    for receiver in started:
        receiver.close()


@pytest.fixture
def receiver(receivers):
    def start(script=None, **options) -> Receiver:
        receiver = Receiver(**options) if script is None else Receiver(script, **options)
        receivers.append(receiver)
        return receiver

    return start


def send(
    url: str, *, limits: Limits = LIMITS, resolve=None, body: bytes = b'{"type": "orders.order_placed"}', **options
):
    return post(
        url,
        body=body,
        headers={"webhook-id": "msg_1"},
        allowed=LOOPBACK,
        limits=limits,
        resolve=resolve or Resolver(["127.0.0.1"]),
        now=lambda: NOW,
        **options,
    )


# --- what is sent, and where -------------------------------------------------------------------------


def test_the_request_carries_the_body_the_name_and_port_in_host_and_the_user_agent(receiver):
    listening = receiver()

    response = send(f"http://hooks.example:{listening.port}/in/orderflow?tenant=7", resolve=Resolver(["127.0.0.1"]))

    assert (response.status, response.error, response.body, response.address) == (200, None, b"thanks", "127.0.0.1")
    assert response.succeeded
    [request] = listening.requests
    assert (request.method, request.target, request.body) == (
        "POST",
        "/in/orderflow?tenant=7",
        b'{"type": "orders.order_placed"}',
    )
    assert request.headers["host"] == f"hooks.example:{listening.port}"
    assert request.headers["user-agent"] == USER_AGENT == "orderflow-webhooks/1.0"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["connection"] == "close"


def test_the_callers_host_and_user_agent_are_replaced_in_whatever_case_they_were_given(receiver):
    listening = receiver()

    post(
        f"http://hooks.example:{listening.port}/",
        body=b"{}",
        headers={"host": "internal.example", "USER-AGENT": "curl", "content-type": "application/cloudevents+json"},
        allowed=LOOPBACK,
        limits=LIMITS,
        resolve=Resolver(["127.0.0.1"]),
    )

    [request] = listening.requests
    assert (request.headers["host"], request.headers["user-agent"]) == (f"hooks.example:{listening.port}", USER_AGENT)
    assert request.headers["content-type"] == "application/cloudevents+json"
    assert sorted(name.lower() for name in request.header_names) == sorted(set(request.headers))


def test_the_request_goes_to_the_vetted_address_even_when_the_name_would_now_resolve_elsewhere(receiver):
    vetted = receiver(host="127.0.0.1")
    elsewhere = receiver(host="127.0.0.2", port=vetted.port)
    resolver = Resolver(["127.0.0.1"], ["127.0.0.2"])

    response = send(f"http://hooks.example:{vetted.port}/", resolve=resolver)

    assert (response.status, response.address) == (200, "127.0.0.1")
    assert (len(vetted.requests), elsewhere.connections) == (1, 0)
    assert resolver.lookups == 1


def test_a_dns_answer_that_turned_private_after_subscribing_is_refused_at_delivery_without_connecting(receiver):
    listening = receiver()
    url = f"http://hooks.example:{listening.port}/"
    resolver = Resolver(["127.0.0.1"], ["10.0.0.1"])
    check_destination(url, allowed=LOOPBACK, resolve=resolver)  # subscribing: the answer was allowed

    response = send(url, resolve=resolver)

    assert response.status is None
    assert response.error == "refused: the host hooks.example resolves to 10.0.0.1, a private address"
    assert response.address is None
    assert listening.connections == 0


def test_a_private_address_outside_the_allow_list_is_refused_without_connecting(receiver):
    listening = receiver()

    response = post(
        f"http://127.0.0.1:{listening.port}/",
        body=b"{}",
        headers={},
        allowed=AllowList(),
        limits=LIMITS,
    )

    assert (response.status, response.error) == (None, "refused: the host 127.0.0.1 is a loopback address")
    assert listening.connections == 0


def test_the_vetted_addresses_are_tried_in_order_until_one_accepts(receiver):
    listening = receiver(host="127.0.0.1", port=closed_port("127.0.0.2"))

    response = send(f"http://hooks.example:{listening.port}/", resolve=Resolver(["127.0.0.2", "127.0.0.1"]))

    assert (response.status, response.address) == (200, "127.0.0.1")


def test_a_payload_over_the_limit_is_refused_before_anything_is_sent(receiver):
    listening = receiver()

    with pytest.raises(PayloadTooLarge, match=r"^The payload is 4097 bytes; webhooks carry at most 4096 bytes\.$"):
        send(f"http://hooks.example:{listening.port}/", body=b"x" * 4097)

    assert listening.connections == 0
    assert send(f"http://hooks.example:{listening.port}/", body=b"x" * 4096).status == 200


# --- what comes back -----------------------------------------------------------------------------------


def test_a_big_body_is_read_only_up_to_the_cap(receiver):
    listening = receiver(
        lambda exchange: exchange.answer(200, headers={"Content-Type": "text/html"}, body=b"a" * 1_000_000)
    )

    response = send(f"http://hooks.example:{listening.port}/")

    assert (response.status, response.content_type) == (200, "text/html")
    assert (response.body, response.body_truncated) == (b"a" * 2048, True)


def test_a_body_within_the_cap_is_kept_whole(receiver):
    listening = receiver(lambda exchange: exchange.answer(400, body="déjà reçu".encode()))

    response = send(f"http://hooks.example:{listening.port}/")

    assert (response.status, response.body_text, response.body_truncated, response.succeeded) == (
        400,
        "déjà reçu",
        False,
        False,
    )


def test_reading_stops_at_the_cap_without_waiting_for_the_rest(receiver):
    def endless(exchange: Exchange) -> None:
        exchange.out.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n" + b"b" * 4096)
        exchange.out.flush()
        exchange.released.wait(10)

    listening = receiver(endless)

    response = send(f"http://hooks.example:{listening.port}/", limits=PATIENT)

    assert (response.status, response.error, len(response.body), response.body_truncated) == (200, None, 2048, True)
    assert response.duration_ms < 2500  # the read timeout is 5 s: nothing waited for the rest


def test_a_receiver_that_never_answers_hits_the_read_timeout(receiver):
    listening = receiver(lambda exchange: exchange.released.wait(10))

    started = time.monotonic()
    response = send(f"http://hooks.example:{listening.port}/")

    assert (response.status, response.error, response.address) == (None, "read timeout after 0.5 s", "127.0.0.1")
    assert 0.45 < time.monotonic() - started < 2.0
    assert 450 <= response.duration_ms < 2000


def test_a_receiver_that_trickles_bytes_is_cut_off_at_the_read_timeout_in_all(receiver):
    def trickle(exchange: Exchange) -> None:
        exchange.out.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not exchange.released.wait(0.05):
            exchange.out.write(b"c")
            exchange.out.flush()

    listening = receiver(trickle)

    response = send(f"http://hooks.example:{listening.port}/")

    assert (response.status, response.error, response.body_truncated) == (200, None, True)
    assert 0 < len(response.body) < 100
    assert response.duration_ms < 2000


def test_headers_trickled_past_the_read_timeout_count_as_no_answer(receiver):
    def trickle(exchange: Exchange) -> None:
        exchange.out.write(b"HTTP/1.1 200 OK\r\n")
        while not exchange.released.wait(0.05):
            exchange.out.write(b"X-Slow: 1\r\n")
            exchange.out.flush()

    listening = receiver(trickle)

    response = send(f"http://hooks.example:{listening.port}/")

    assert (response.status, response.error) == (None, "read timeout after 0.5 s")
    assert response.duration_ms < 2000


def test_a_redirect_is_returned_not_followed(receiver):
    def redirect(exchange: Exchange) -> None:
        exchange.answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    listening = receiver(redirect)

    response = send(f"http://hooks.example:{listening.port}/")

    assert (response.status, response.error, response.succeeded) == (302, None, False)
    assert len(listening.requests) == 1


def test_retry_after_in_seconds_is_read(receiver):
    listening = receiver(lambda exchange: exchange.answer(503, headers={"Retry-After": "120"}))

    assert send(f"http://hooks.example:{listening.port}/").retry_after_seconds == 120


def test_retry_after_as_a_date_counts_from_the_receivers_own_date_header(receiver):
    sent_at = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
    headers = {
        "Date": format_datetime(sent_at, usegmt=True),
        "Retry-After": format_datetime(sent_at + dt.timedelta(seconds=90), usegmt=True),
    }
    listening = receiver(lambda exchange: exchange.answer(429, headers=headers))

    response = send(f"http://hooks.example:{listening.port}/")

    assert (response.status, response.retry_after_seconds) == (429, 90)


@pytest.mark.parametrize(
    ("value", "date", "seconds"),
    [
        (None, None, None),
        ("0", None, 0),
        (" 3600 ", None, 3600),
        ("Sun, 01 Mar 2026 12:05:00 GMT", None, 300),
        ("Sun, 01 Mar 2026 12:05:00 GMT", "Sun, 01 Mar 2026 12:04:00 GMT", 60),
        ("Sun, 01 Mar 2026 12:05:00 GMT", "not a date", 300),
        ("Sun, 01 Mar 2026 11:00:00 GMT", None, 0),
        ("-5", None, None),
        ("1.5", None, None),
        ("soon", None, None),
    ],
)
def test_retry_after_reads_both_forms_and_nothing_else(value, date, seconds):
    assert retry_after_seconds(value, date, now=lambda: NOW) == seconds


# --- no answer -------------------------------------------------------------------------------------------


def test_a_refused_connection_is_an_answerless_response():
    response = send(f"http://hooks.example:{closed_port()}/")

    assert (response.status, response.error, response.body, response.succeeded) == (
        None,
        "connection refused",
        b"",
        False,
    )


def test_a_receiver_that_hangs_up_without_answering(receiver):
    listening = receiver(lambda exchange: None)

    response = send(f"http://hooks.example:{listening.port}/")

    assert (response.status, response.error) == (None, "connection closed without an answer")


def test_something_that_is_not_http_is_no_answer(receiver):
    def gibberish(exchange: Exchange) -> None:
        exchange.out.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        exchange.out.flush()

    listening = receiver(gibberish)

    response = send(f"http://hooks.example:{listening.port}/")

    assert (response.status, response.error) == (None, "not an HTTP answer: BadStatusLine")


# --- https ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict[str, Path]:
    """A certificate authority, and a server certificate it signed for hooks.example."""
    directory = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "orderflow test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server-key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture
def tls_receiver(receiver, certificates):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    return receiver(tls=context)


@pytest.fixture
def trusting(certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificates["ca"]))


def test_https_connects_to_the_vetted_address_and_verifies_the_certificate_against_the_name(tls_receiver, trusting):
    response = send(f"https://hooks.example:{tls_receiver.port}/in", tls_context=trusting)

    assert (response.status, response.error, response.address) == (200, None, "127.0.0.1")
    assert tls_receiver.server_names == ["hooks.example"]
    assert tls_receiver.requests[0].headers["host"] == f"hooks.example:{tls_receiver.port}"


def test_https_refuses_a_certificate_for_another_name_before_sending_anything(tls_receiver, trusting):
    response = send(f"https://other.example:{tls_receiver.port}/in", tls_context=trusting)

    assert response.status is None
    assert response.error.startswith("TLS: certificate verify failed: Hostname mismatch")
    assert tls_receiver.server_names == ["other.example"]
    assert tls_receiver.requests == []


def test_https_trusts_only_the_systems_authorities_by_default(tls_receiver):
    response = send(f"https://hooks.example:{tls_receiver.port}/in")

    assert response.status is None
    assert response.error == "TLS: certificate verify failed: unable to get local issuer certificate"
    assert tls_receiver.requests == []


# --- how long a request can take -------------------------------------------------------------------


def test_no_more_than_max_addresses_are_tried(receiver):
    listening = receiver(host="127.0.0.1", port=closed_port("127.0.0.2"))
    unanswered = [f"127.0.0.{n}" for n in range(2, 2 + MAX_ADDRESSES)]  # nothing listens there on that port

    response = send(f"http://hooks.example:{listening.port}/", resolve=Resolver([*unanswered, "127.0.0.1"]))

    assert (response.status, response.error) == (None, "connection refused")
    assert listening.connections == 0


@pytest.fixture
def dripping_handshake() -> Iterator[int]:
    """A TCP server that answers a TLS ClientHello one byte every 0.2 s: each read of the handshake gets
    something within the connect timeout, so only a bound on the whole handshake ends it."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            client, _ = server.accept()
            with client:
                client.recv(4096)
                while not stop.wait(0.2):
                    client.sendall(b"\x16")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


def test_a_tls_handshake_dripped_byte_by_byte_ends_at_the_connect_timeout(dripping_handshake):
    started = time.monotonic()

    response = send(f"https://hooks.example:{dripping_handshake}/", limits=LIMITS)

    assert response.status is None
    assert response.failure is TransportError.TIMEOUT
    assert response.error == "connect timeout after 0.5 s"
    assert time.monotonic() - started < longest_request(LIMITS)
