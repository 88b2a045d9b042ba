"""StripePaymentProvider against a small Stripe-compatible server run by the test (stdlib http.server).

The server speaks just the Refunds endpoint; each test scripts its answers and
then checks what the adapter sent: the path, the form fields, the
Idempotency-Key and the Authorization header, retries and timeouts.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from apps.billing.provider import StripePaymentProvider
from domain.billing.errors import PaymentProviderError, PaymentProviderUnavailableError
from domain.kernel.money import Money

API_KEY = "sk_test_orderflow_integration"
EUR_42_50 = Money(Decimal("42.50"), "EUR")


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    delay: float = 0.0


@dataclass
class StripeStub:
    """What the server received, and the answers it gives in turn (the last one repeats)."""

    answers: list[Answer] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    base: str = ""

    def answer(self) -> Answer:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def refund_body(refund_id: str = "re_test_1") -> dict[str, Any]:
    return {"id": refund_id, "object": "refund", "amount": 4250, "currency": "eur", "status": "succeeded"}


@pytest.fixture
def stripe_stub() -> Iterator[StripeStub]:
    stub = StripeStub(answers=[Answer(200, refund_body())])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            stub.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "form": {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()},
                }
            )
            answer = stub.answer()
            if answer.delay:
                time.sleep(answer.delay)
            payload = json.dumps(answer.body).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:12]}")
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: that is what the timeout test wants

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test inspects ``stub.requests`` instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield stub
    server.shutdown()
    server.server_close()


def provider(stub: StripeStub, *, timeout: float = 5.0, retries: int = 2) -> StripePaymentProvider:
    return StripePaymentProvider(
        api_key=API_KEY, api_base=stub.base, connect_timeout=timeout, read_timeout=timeout, max_retries=retries
    )


def test_a_refund_posts_the_payment_intent_and_minor_units_with_the_idempotency_key(stripe_stub):
    invoice_id = str(uuid.uuid4())

    refund_id = provider(stripe_stub).refund(provider_payment_id="pi_123", amount=EUR_42_50, idempotency_key=invoice_id)

    assert refund_id == "re_test_1"
    (request,) = stripe_stub.requests
    assert request["path"] == "/v1/refunds"
    assert request["form"] == {"payment_intent": "pi_123", "amount": "4250"}
    assert request["headers"]["Idempotency-Key"] == invoice_id
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def test_a_zero_decimal_currency_is_sent_as_is(stripe_stub):
    provider(stripe_stub).refund(provider_payment_id="pi_1", amount=Money(Decimal("1000"), "JPY"), idempotency_key="k")

    assert stripe_stub.requests[0]["form"]["amount"] == "1000"


def test_a_500_is_retried_with_the_same_idempotency_key_and_then_succeeds(stripe_stub):
    stripe_stub.answers = [
        Answer(500, {"error": {"type": "api_error", "message": "Something went wrong on our end."}}),
        Answer(200, refund_body("re_after_retry")),
    ]

    refund_id = provider(stripe_stub).refund(provider_payment_id="pi_1", amount=EUR_42_50, idempotency_key="inv-1")

    assert refund_id == "re_after_retry"
    assert [r["headers"]["Idempotency-Key"] for r in stripe_stub.requests] == ["inv-1", "inv-1"]


def test_retries_are_bounded_and_then_the_failure_is_reported(stripe_stub):
    stripe_stub.answers = [Answer(503, {"error": {"type": "api_error", "message": "Unavailable."}})]

    with pytest.raises(PaymentProviderUnavailableError, match="could not refund"):
        provider(stripe_stub, retries=2).refund(provider_payment_id="pi_1", amount=EUR_42_50, idempotency_key="k")

    assert len(stripe_stub.requests) == 3  # the first attempt and two retries


def test_a_refusal_is_reported_at_once_without_retrying(stripe_stub):
    stripe_stub.answers = [
        Answer(
            400,
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded",
                    "message": "Charge ch_1 has already been refunded.",
                }
            },
        )
    ]

    with pytest.raises(PaymentProviderError, match="already been refunded") as refused:
        provider(stripe_stub).refund(provider_payment_id="pi_1", amount=EUR_42_50, idempotency_key="k")

    assert not isinstance(refused.value, PaymentProviderUnavailableError)  # a refusal, not an outage: 422, not 502
    assert len(stripe_stub.requests) == 1


def test_a_server_that_does_not_answer_ends_as_an_error_in_bounded_time(stripe_stub):
    stripe_stub.answers = [Answer(200, refund_body(), delay=3.0)]

    started = time.monotonic()
    with pytest.raises(PaymentProviderUnavailableError, match="could not be reached in time"):
        provider(stripe_stub, timeout=0.5, retries=1).refund(
            provider_payment_id="pi_1", amount=EUR_42_50, idempotency_key="k"
        )
    elapsed = time.monotonic() - started

    # Two attempts of 0.5 s each plus one backoff pause (at most a couple of seconds), never the 3 s answer.
    assert len(stripe_stub.requests) == 2
    assert elapsed < 3.0


def test_a_closed_port_ends_as_an_error():
    closed = StripeStub(base="http://127.0.0.1:9")

    with pytest.raises(PaymentProviderError):
        provider(closed, timeout=0.5, retries=0).refund(
            provider_payment_id="pi_1", amount=EUR_42_50, idempotency_key="k"
        )
