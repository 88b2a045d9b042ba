"""The fan-out consumer: each offered integration event becomes one delivery per endpoint that wants it.

It runs inside the inbox's transaction (``apps.messaging.inbox``), so the message and its
deliveries are written together with the inbox row: an event redelivered by the broker finds the
inbox row and fans out nothing twice. The sending starts once that transaction commits (a Celery
task per delivery); beat's sweep sends whatever that missed (``apps.webhooks.tasks``).

Only enabled endpoints get a delivery: an event that happens while an endpoint is disabled is not
queued for it (its owner can redeliver what they missed, ``RedeliverSince``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.messaging.consumers import EventConsumer
from apps.observability import metrics
from apps.webhooks import signing, tasks
from apps.webhooks.models import Endpoint as EndpointRow
from apps.webhooks.models import Message
from apps.webhooks.repository import DjangoDeliveryRepository
from domain.webhooks.delivery import Delivery
from domain.webhooks.filters import EventTypeFilters

log = structlog.get_logger(__name__)

CONSUMER_NAME = "webhooks-fanout"


def consumer(offered: frozenset[str]) -> EventConsumer:
    """The consumer of the ``offered`` event types, bound to their contexts (``orders.#``)."""
    contexts = sorted({event_type.split(".", 1)[0] for event_type in offered})
    return EventConsumer(
        name=CONSUMER_NAME,
        binding_keys=tuple(f"{context}.#" for context in contexts),
        handle=lambda envelope: fan_out(envelope, offered=offered),
    )


def fan_out(envelope: Mapping[str, Any], *, offered: frozenset[str]) -> list[UUID]:
    """Write the message and a delivery to every enabled endpoint that wants the event; answer the
    deliveries' ids. Sending them is queued for when the current transaction commits."""
    event_type = str(envelope["event_type"])
    if event_type not in offered:
        return []
    wanting = [
        endpoint_id
        for endpoint_id, patterns in EndpointRow.objects.filter(enabled=True).values_list("id", "event_types")
        if EventTypeFilters(patterns).wants(event_type)
    ]
    if not wanting:
        return []
    body = signing.body(envelope)
    if len(body) > settings.WEBHOOKS_MAX_PAYLOAD_BYTES:
        # Never sendable: refused here, once, rather than failing at every attempt for days.
        log.error(
            "webhook payload too large; not delivered",
            event_id=envelope["event_id"],
            event_type=event_type,
            size=len(body),
            limit=settings.WEBHOOKS_MAX_PAYLOAD_BYTES,
        )
        metrics.WEBHOOK_PAYLOADS_TOO_LARGE.inc()
        return []
    now = timezone.now()
    event_id = UUID(str(envelope["event_id"]))
    Message.objects.bulk_create(
        [Message(event_id=event_id, event_type=event_type, body=body.decode(), created_at=now)],
        ignore_conflicts=True,
    )
    deliveries = DjangoDeliveryRepository()
    occurred_at = datetime.fromisoformat(str(envelope["occurred_at"]))
    for endpoint_id in wanting:
        deliveries.add(
            Delivery.create(
                endpoint_id=endpoint_id, event_id=event_id, event_type=event_type, occurred_at=occurred_at, now=now
            )
        )
    deliveries.flush()
    ids = list(deliveries.seen)
    transaction.on_commit(lambda: _send(ids))
    return ids


def _send(ids: list[UUID]) -> None:
    try:
        for id in ids:
            tasks.send_delivery.delay(delivery_id=str(id))
    except Exception as exc:  # the task queue is out of reach: beat's sweep sends them once it is back
        log.warning("webhook deliveries not queued; the sweep will send them", count=len(ids), reason=str(exc))
