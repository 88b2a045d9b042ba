"""What a delivery sends: the body a partner receives, and its Standard Webhooks signature headers.

The body follows the Standard Webhooks recommendation, ``{"type", "timestamp", "data"}``, where
``data`` is the integration event's payload as its context published it; beside them, the event's
id and version, and the aggregate it is about (its version orders a stream: deliveries to an
endpoint are not ordered, ADR-0014). Nothing internal leaves: no correlation id, no trace context.

The headers are the specification's ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` once per secret given,
space-separated, so that during a rotation's overlap a receiver holding either secret verifies.
The signatures are the ``standardwebhooks`` library's, the one receivers verify with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def body(envelope: Mapping[str, Any]) -> bytes:
    """The JSON a partner receives for one integration event (``envelope`` as the broker carries it)."""
    document = {
        "type": envelope["event_type"],
        "timestamp": envelope["occurred_at"],
        "event_id": envelope["event_id"],
        "event_version": envelope["event_version"],
        "aggregate": {
            "type": envelope["aggregate_type"],
            "id": envelope["aggregate_id"],
            "version": envelope["aggregate_version"],
        },
        "data": envelope["payload"],
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def signature_headers(
    *, webhook_id: str, timestamp: datetime, payload: bytes, secrets: Sequence[str]
) -> dict[str, str]:
    """The three headers that let a receiver check ``payload`` came from orderflow, signed by every secret."""
    if not secrets:
        raise ValueError("a delivery is signed by at least one secret")
    signatures = [Webhook(secret).sign(webhook_id, timestamp, payload) for secret in secrets]
    return {
        ID_HEADER: webhook_id,
        TIMESTAMP_HEADER: str(int(timestamp.timestamp())),
        SIGNATURE_HEADER: " ".join(signatures),
    }
