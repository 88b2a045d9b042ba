"""Sending one delivery: claim a slot of its endpoint, sign, POST, record what came of it.

A delivery is sent by whichever worker claims it. The claim is a lease (``leased_until``) taken
only while fewer than ``WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT`` deliveries of the same endpoint hold
one, so a receiver that never answers ties up that many workers at most and the other endpoints'
deliveries go on. The request is made outside any transaction; its outcome is then reported with
``RecordDeliveryAttempt`` (through the command bus, as the system, audited like every command)
and kept in the attempt history, in one transaction that also gives the lease back. A worker that
dies mid-send, or whose report is refused, leaves its lease to run out after the longest a request
can take: that is the wait before the sweep sends the delivery again.

A delivery whose endpoint is disabled is not claimed: it waits, pending, until the endpoint is
enabled again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from apps.observability import metrics
from apps.platform.buses import dispatch
from apps.webhooks import mapper, signing, transport
from apps.webhooks.adapters import allow_list
from apps.webhooks.models import Attempt, DeliveryStatus
from apps.webhooks.models import Delivery as DeliveryRow
from apps.webhooks.models import Endpoint as EndpointRow
from domain.kernel.result import Err
from domain.webhooks.commands import RecordDeliveryAttempt
from domain.webhooks.delivery import TransportError, webhook_id
from domain.webhooks.model import EndpointUrl

log = structlog.get_logger(__name__)

#: Time added to the longest a request can take before an unreturned lease runs out: the host's DNS
#: lookup (the system resolver's own timeouts bound it), and a margin.
LEASE_MARGIN = timedelta(seconds=60)
#: How many of the endpoint's next deliveries a worker handing its slot on tries to mark.
HAND_ON_TRIES = 5
#: A delivery queued by a sweep but not sent after this long (the queue lost it) is queued again.
REQUEUE_AFTER = timedelta(minutes=2)


class Sent(StrEnum):
    """What ``send`` did with a delivery."""

    SENT = "sent"
    #: Its endpoint has as many deliveries on their way as it may: the sweep sends it later.
    BUSY = "busy"
    #: Not pending, not due, disabled, leased by another worker, or gone: nothing to do.
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Claim:
    delivery_id: UUID
    leased_until: datetime


def lease_length() -> timedelta:
    """The longest one request can take (``transport.longest_request``), plus the margin."""
    return timedelta(seconds=transport.longest_request(transport.Limits.from_settings())) + LEASE_MARGIN


def claim(delivery_id: UUID, *, now: datetime) -> Claim | Sent:
    """Lease the delivery for sending at ``now``, if it is due, free, and its endpoint is enabled and
    below its limit of deliveries on their way.

    The endpoint's row is locked while the slots are counted (PostgreSQL), and the lease is one
    conditional UPDATE that counts them again (SQLite, which serialises writers), so two workers
    never take the last slot together.
    """
    limit = settings.WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT
    with transaction.atomic():
        endpoint_id = DeliveryRow.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
        if endpoint_id is None:
            return Sent.SKIPPED
        if not EndpointRow.objects.select_for_update().filter(pk=endpoint_id, enabled=True).exists():
            return Sent.SKIPPED
        in_flight = (
            DeliveryRow.objects.filter(endpoint_id=OuterRef("endpoint_id"), leased_until__gt=now)
            .order_by()
            .values("endpoint_id")
            .annotate(count=Count("pk"))
            .values("count")
        )
        until = now + lease_length()
        leased = (
            DeliveryRow.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
            .alias(in_flight=Coalesce(Subquery(in_flight, output_field=IntegerField()), Value(0)))
            .filter(in_flight__lt=limit)
            .update(leased_until=until)
        )
        if leased:
            return Claim(delivery_id, until)
        free = DeliveryRow.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        if free.filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now)).exists():
            return Sent.BUSY
        return Sent.SKIPPED


def send(delivery_id: UUID, *, now: datetime | None = None) -> Sent:
    """Send the delivery once if it can be claimed; record the attempt.

    When the attempt cannot be recorded (an exception, or ``RecordDeliveryAttempt`` refused), the
    lease is kept until it runs out: the delivery is tried again then, not at the next sweep.
    """
    claimed = claim(delivery_id, now=now or timezone.now())
    if not isinstance(claimed, Claim):
        return claimed
    _attempt(claimed)
    return Sent.SENT


def _attempt(claimed: Claim) -> None:
    delivery_id = claimed.delivery_id
    row = DeliveryRow.objects.select_related("endpoint", "message").get(pk=delivery_id)
    endpoint = mapper.endpoint_to_domain(row.endpoint)
    now = timezone.now()
    body = row.message.body.encode()
    headers = {
        "Content-Type": "application/json",
        **signing.signature_headers(
            webhook_id=webhook_id(row.id),
            timestamp=now,
            payload=body,
            secrets=[secret.value for secret in endpoint.signing_secrets(now)],
        ),
    }
    started = time.monotonic()
    response = _post(endpoint.url, body, headers)
    outcome = response.outcome
    metrics.WEBHOOK_ATTEMPTS.labels(outcome=outcome.kind.value).inc()
    metrics.WEBHOOK_ATTEMPT_DURATION.labels(outcome=outcome.kind.value).observe(time.monotonic() - started)
    with transaction.atomic():
        recorded = dispatch(
            RecordDeliveryAttempt(
                delivery_id=delivery_id,
                status_code=response.status,
                error=response.failure.value if response.status is None and response.failure else None,
                retry_after_seconds=response.retry_after_seconds,
            )
        )
        Attempt.objects.create(
            delivery_id=delivery_id,
            attempted_at=now,
            url=endpoint.url.without_query,
            request_headers={**headers, "User-Agent": transport.USER_AGENT},
            status_code=response.status,
            error=(response.error or "")[:500],
            response_body=response.body_text,
            response_truncated=response.body_truncated,
            duration_ms=response.duration_ms,
            address=response.address or "",
        )
        if not isinstance(recorded, Err):  # refused: the lease runs out first, and is the wait
            DeliveryRow.objects.filter(pk=delivery_id, leased_until=claimed.leased_until).update(
                leased_until=None, queued_at=None
            )
    if isinstance(recorded, Err):
        log.warning(
            "webhook attempt made but not counted", delivery=webhook_id(delivery_id), reason=str(recorded.error)
        )
    else:
        log.info(
            "webhook attempt",
            delivery=webhook_id(delivery_id),
            endpoint=str(endpoint.id),
            status=response.status,
            error=response.error,
            result=str(recorded.value),
            duration_ms=response.duration_ms,
        )


def _post(url: EndpointUrl, body: bytes, headers: dict[str, str]) -> transport.Response:
    """The request, unless it must not be made: an ``http://`` URL once plain http is no longer allowed
    (it was subscribed while it was), or a payload above the limit (lowered since it was fanned out).
    Either is recorded as a failed attempt, retried on the schedule: the setting may change back."""
    if url.scheme == "http" and not settings.WEBHOOKS_ALLOW_HTTP:
        return transport.Response(
            status=None,
            error="refused: plain http is not allowed (WEBHOOKS_ALLOW_HTTP is off)",
            duration_ms=0,
            failure=TransportError.BLOCKED_ADDRESS,
        )
    try:
        return transport.post(
            url.value, body=body, headers=headers, allowed=allow_list(), limits=transport.Limits.from_settings()
        )
    except transport.PayloadTooLarge as exc:
        return transport.Response(status=None, error=str(exc), duration_ms=0, failure=TransportError.PAYLOAD_TOO_LARGE)


def next_due(delivery_id: UUID, *, now: datetime) -> UUID | None:
    """The delivery of the same endpoint to send next (due, free, the longest waiting), marked queued.

    A worker that has sent a delivery hands its endpoint's slot on to it, so an endpoint with a
    backlog is sent to as fast as it answers, ``WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT`` at a time,
    rather than only as fast as the sweep comes round.
    """
    endpoint_id = DeliveryRow.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
    if endpoint_id is None:
        return None
    free = _free(now).filter(endpoint_id=endpoint_id)
    candidates = (
        free.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__enabled=True)
        .exclude(pk=delivery_id)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
    )
    # Marked only if still free: another worker handing its slot on at the same moment takes the next one.
    for candidate in candidates[:HAND_ON_TRIES]:
        if free.filter(pk=candidate).update(queued_at=now):
            return candidate
    return None


def _free(now: datetime) -> QuerySet[DeliveryRow]:
    """Deliveries neither leased nor queued in the last ``REQUEUE_AFTER``."""
    return DeliveryRow.objects.filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now)).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lte=now - REQUEUE_AFTER)
    )


def due(*, now: datetime, limit: int) -> list[UUID]:
    """Up to ``limit`` deliveries to send now: pending, due, not leased nor queued in the last
    ``REQUEUE_AFTER``, of enabled endpoints, the longest waiting first, and no more per endpoint than
    it has free slots. They are marked queued, so the next sweeps leave them to the workers."""
    per_endpoint = settings.WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT
    # Being sent, or queued by a recent sweep and about to be: both hold a slot of their endpoint.
    in_flight = dict(
        DeliveryRow.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(leased_until__gt=now) | Q(queued_at__gt=now - REQUEUE_AFTER))
        .values("endpoint_id")
        .annotate(count=Count("pk"))
        .values_list("endpoint_id", "count")
    )
    # At most ``per_endpoint`` candidates per endpoint, ranked in the database: an endpoint with a
    # large backlog of due retries cannot crowd the others out of the sweep.
    candidates = (
        _free(now)
        .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__enabled=True)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("endpoint_id")], order_by=[F("next_attempt_at").asc(), "id"])
        )
        .filter(rank__lte=per_endpoint)
        .order_by("next_attempt_at", "id")
        .values_list("id", "endpoint_id", "rank")
    )
    chosen: list[UUID] = []
    for id, endpoint_id, rank in candidates:
        if rank + in_flight.get(endpoint_id, 0) > per_endpoint:
            continue
        chosen.append(id)
        if len(chosen) >= limit:
            break
    DeliveryRow.objects.filter(pk__in=chosen).update(queued_at=now)
    return chosen
