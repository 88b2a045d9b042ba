"""The local webhook receiver answers a request signed with its secret, and refuses any other."""

from __future__ import annotations

import http.client
import threading
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from apps.webhooks import signing
from scripts.webhook_receiver import handler_for, main

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ENVELOPE = {
    "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "event_type": "orders.order_placed",
    "event_version": 1,
    "aggregate_type": "orders.order",
    "aggregate_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "aggregate_version": 1,
    "occurred_at": "2026-12-05T10:00:00+00:00",
    "payload": {"order_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
}


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(Webhook(SECRET), 204))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def post(port: int, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("POST", "/hook", body=body, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def test_a_request_signed_with_the_secret_is_answered_and_printed(receiver, capsys):
    body = signing.body(ENVELOPE)
    headers = signing.signature_headers(
        webhook_id="msg_" + "a" * 32, timestamp=datetime.now(UTC), payload=body, secrets=[SECRET]
    )

    assert post(receiver, body, headers) == 204
    assert "msg_" + "a" * 32 + " orders.order_placed orders.order 7c9e6679" in capsys.readouterr().out


def test_a_tampered_body_is_refused_with_401(receiver, capsys):
    body = signing.body(ENVELOPE)
    headers = signing.signature_headers(
        webhook_id="msg_" + "b" * 32, timestamp=datetime.now(UTC), payload=body, secrets=[SECRET]
    )

    assert post(receiver, body.replace(b"order_placed", b"order_paid"), headers) == 401
    assert capsys.readouterr().out.startswith("401 refused:")


def test_a_secret_that_is_not_one_is_one_line_and_exit_status_2(capsys):
    assert main(["--secret", "whsec_not base64!"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
