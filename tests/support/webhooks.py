"""Webhooks in tests: subscribing a receiver through the API, and sending what is due, in this process.

A worker and beat do the sending in a running stack; a test does what they do, in its own thread and
transaction: ``send_due`` takes what beat's sweep would queue and sends each as the task would.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.utils import timezone

from apps.webhooks import sending
from tests.support.receivers import Receiver

ENDPOINTS = "/api/v2/webhooks/endpoints"


def subscribe(api: Any, auth: dict[str, str], receiver: Receiver, *event_types: str, path: str = "/hook") -> dict:
    """Subscribe ``receiver`` (plain http on its local address) to ``event_types``; the answer, with its secret."""
    response = api.post(
        ENDPOINTS,
        {"url": f"http://{receiver.host}:{receiver.port}{path}", "event_types": list(event_types), "description": ""},
        format="json",
        **auth,
    )
    assert response.status_code == 201, response.content
    return response.json()


def send_due(*, now: datetime | None = None) -> list[tuple[UUID, sending.Sent]]:
    """Send every delivery due at ``now`` (default: now), one after the other, sweep after sweep until
    none is left; what became of each."""
    moment = now or timezone.now()
    sent: list[tuple[UUID, sending.Sent]] = []
    while ids := sending.due(now=moment, limit=1000):
        sent += [(id, sending.send(id, now=moment)) for id in ids]
    return sent
