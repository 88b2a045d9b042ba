"""The body and the signature headers of a delivery, verified by the standardwebhooks library as a receiver would."""

import base64
import json
import os
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from apps.webhooks.signing import body, signature_headers

ENVELOPE = {
    "event_id": "0b6d8f55-7c0f-4a4c-9d1e-3f2a8c1b9e10",
    "event_type": "orders.order_paid",
    "event_version": 1,
    "aggregate_type": "orders.order",
    "aggregate_id": "5d1e0c2a-1111-4c4c-8888-2f2a8c1b9e10",
    "aggregate_version": 2,
    "occurred_at": "2026-12-05T10:00:00+00:00",
    "correlation_id": "c0ffee",
    "causation_id": None,
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "payload": {
        "order_id": "5d1e0c2a-1111-4c4c-8888-2f2a8c1b9e10",
        "invoice_id": "9a9a9a9a-0000-4000-8000-000000000001",
    },
}


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def test_the_body_is_type_timestamp_and_data_with_the_event_and_its_aggregate_and_nothing_internal():
    document = json.loads(body(ENVELOPE))
    assert document == {
        "type": "orders.order_paid",
        "timestamp": "2026-12-05T10:00:00+00:00",
        "event_id": ENVELOPE["event_id"],
        "event_version": 1,
        "aggregate": {"type": "orders.order", "id": ENVELOPE["aggregate_id"], "version": 2},
        "data": ENVELOPE["payload"],
    }


def test_a_receiver_verifies_the_delivery_with_the_standardwebhooks_library():
    secret, now = new_secret(), datetime.now(UTC)
    payload = body(ENVELOPE)
    headers = signature_headers(webhook_id="msg_1", timestamp=now, payload=payload, secrets=[secret])

    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert Webhook(secret).verify(payload, headers)["type"] == "orders.order_paid"


def test_during_a_rotation_both_secrets_verify_and_any_other_does_not():
    current, previous, now = new_secret(), new_secret(), datetime.now(UTC)
    payload = body(ENVELOPE)
    headers = signature_headers(webhook_id="msg_2", timestamp=now, payload=payload, secrets=[current, previous])

    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(current).verify(payload, headers)
    assert Webhook(previous).verify(payload, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(payload, headers)


def test_a_changed_body_or_id_does_not_verify():
    secret, now = new_secret(), datetime.now(UTC)
    payload = body(ENVELOPE)
    headers = signature_headers(webhook_id="msg_3", timestamp=now, payload=payload, secrets=[secret])

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload.replace(b'"version":2', b'"version":3'), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload, {**headers, "webhook-id": "msg_4"})


def test_a_delivery_without_a_secret_is_refused():
    with pytest.raises(ValueError, match="at least one secret"):
        signature_headers(webhook_id="msg_5", timestamp=datetime.now(UTC), payload=b"{}", secrets=[])
