"""Drains the outbox to the broker: at least once, in order per aggregate.

One batch is one short transaction: claim the oldest pending streams with
``SELECT ... FOR UPDATE SKIP LOCKED``, publish them (never inside a business
transaction), mark what the broker confirmed as processed, schedule retries for
the rest, commit. A stream (the events of one aggregate) is claimed by its head,
its oldest unfinished event, so two dispatchers never share a stream and a
stream never overtakes itself: an event waits while an earlier one of its
aggregate is pending, backing off or dead. On SQLite, where there is no row
locking, ``BEGIN IMMEDIATE`` serialises dispatchers instead.

A crash between publishing and committing leaves the rows pending: they are
published again and the consumers' inbox absorbs the duplicates.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from opentelemetry.trace import Span, SpanKind

from apps.messaging import broker
from apps.messaging.publisher import BrokerUnavailable, EventPublisher, check_envelope
from apps.observability import metrics, tracing
from apps.outbox.models import OutboxEntry

log = structlog.get_logger(__name__)

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 300.0


CLAIMED_FIELDS = (
    "id",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "event_type",
    "event_version",
    "payload",
    "occurred_at",
    "correlation_id",
    "causation_id",
    "traceparent",
    "attempts",
)


@dataclass(slots=True)
class Claimed:
    """The columns of a claimed outbox row that publishing needs (same names as OutboxEntry's)."""

    id: Any
    aggregate_type: str
    aggregate_id: Any
    aggregate_version: int
    event_type: str
    event_version: int
    payload: Any
    occurred_at: datetime
    correlation_id: str
    causation_id: str
    traceparent: str
    attempts: int
    status: str = OutboxEntry.Status.PENDING
    last_error: str = ""
    next_attempt_at: datetime | None = None


def envelope(entry: OutboxEntry | Claimed) -> dict[str, Any]:
    """The versioned JSON envelope of an outbox entry, as consumers receive it."""
    return {
        "event_id": str(entry.id),
        "event_type": entry.event_type,
        "event_version": entry.event_version,
        "aggregate_type": entry.aggregate_type,
        "aggregate_id": str(entry.aggregate_id),
        "aggregate_version": entry.aggregate_version,
        "occurred_at": entry.occurred_at.isoformat(),
        "correlation_id": entry.correlation_id or None,
        "causation_id": entry.causation_id or None,
        "traceparent": entry.traceparent or None,
        "payload": entry.payload,
    }


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter: half to all of min(cap, base * 2^(attempts-1)) seconds."""
    # The exponent is bounded: the cap applies long before 2^64, and 2^1024 and more overflow a float.
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** min(attempts - 1, 64))
    return timedelta(seconds=ceiling * (rng or random).uniform(0.5, 1.0))


@dataclass
class BatchResult:
    published: int = 0
    failed: int = 0
    dead: int = 0


class OutboxDispatcher:
    def __init__(
        self,
        publisher: EventPublisher | None = None,
        *,
        batch_size: int | None = None,
        max_attempts: int | None = None,
    ) -> None:
        self.publisher = publisher or EventPublisher()
        self.batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
        self.max_attempts = max_attempts or settings.OUTBOX_MAX_ATTEMPTS

    def dispatch_pending(self, *, max_batches: int | None = None) -> int:
        """Publish pending entries batch by batch until none is due; return how many were published.

        Raises BrokerUnavailable when the broker cannot be reached (nothing is
        marked; the entries stay pending and count no attempt).
        """
        total, batches = 0, 0
        while max_batches is None or batches < max_batches:
            result = self.dispatch_batch()
            total += result.published
            batches += 1
            if result.published + result.failed + result.dead < self.batch_size:
                break
        return total

    def dispatch_batch(self) -> BatchResult:
        try:
            self.publisher.ensure_connected()  # fail fast, before any row is locked
            with transaction.atomic():
                entries = self._claim(timezone.now())
                if not entries:
                    return BatchResult()
                result = self._publish_and_mark(entries)
        except BrokerUnavailable:
            metrics.OUTBOX_BROKER_UNAVAILABLE.inc()
            raise
        # Counted once committed: a batch rolled back is published again and counted then.
        _count(result)
        return result

    def _claim(self, now: datetime) -> list[Claimed]:
        earlier_unfinished = OutboxEntry.objects.filter(
            aggregate_type=OuterRef("aggregate_type"),
            aggregate_id=OuterRef("aggregate_id"),
            aggregate_version__lt=OuterRef("aggregate_version"),
        ).exclude(status=OutboxEntry.Status.PROCESSED)
        heads = list(
            OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(~Exists(earlier_unfinished))
            .order_by("created_at", "aggregate_version")
            .select_for_update(skip_locked=True)
            .values_list("aggregate_id", flat=True)[: self.batch_size]
        )
        if not heads:
            return []
        # Holding each stream's head, the rest of those streams is ours alone. Plain values, not
        # model instances: building 500 of them per batch costs more than the query.
        rows = (
            OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING, aggregate_id__in=heads)
            .order_by("created_at", "aggregate_version")
            .select_for_update()
            .values_list(*CLAIMED_FIELDS)[: self.batch_size]
        )
        return [Claimed(*row) for row in rows]

    def _publish_and_mark(self, entries: list[Claimed]) -> BatchResult:
        # The batch's own work (its SQL) is a trace of its own; each event is published in a span of
        # the trace its command started, linked to the batch.
        attributes = {"messaging.batch.message_count": len(entries)}
        with tracing.span("outbox publish batch", root=True, attributes=attributes) as batch:
            spans = _publish_spans(entries, batch) if batch is not None else None
            try:
                result, failures, published = self._publish_batch(entries, spans)
            except BaseException as exc:  # the broker or the database failed midway: nothing is marked
                for span in spans or ():
                    tracing.end(span, f"{type(exc).__name__}: {exc}")
                raise
        for index, span in enumerate(spans or ()):
            if span is not None and index not in published and index not in failures:
                span.set_attribute("orderflow.held_back", True)  # behind an earlier event of its aggregate
            tracing.end(span, failures.get(index))
        return result

    def _publish_batch(
        self, entries: list[Claimed], spans: list[Span | None] | None
    ) -> tuple[BatchResult, dict[int, str], set[int]]:
        """Publish and mark the batch: its result, the failed positions with their error, the published ones."""
        envelopes = [envelope(entry) for entry in entries]
        bodies: list[str] = []
        invalid: dict[int, str] = {}
        for index, item in enumerate(envelopes):
            try:
                bodies.append(check_envelope(item))
            except (TypeError, ValueError) as exc:
                bodies.append("")
                invalid[index] = f"{type(exc).__name__}: {exc}"
        held_back = _held_back(entries, set(invalid))
        headers = [{tracing.HEADER: tracing.traceparent(span)} for span in spans] if spans is not None else None
        report = self.publisher.publish(envelopes, skip=set(invalid) | held_back, bodies=bodies, headers=headers)
        failures = {**invalid, **report.failed}

        now = timezone.now()
        published_ids = [entries[i].id for i in sorted(report.published)]
        OutboxEntry.objects.filter(id__in=published_ids).update(
            status=OutboxEntry.Status.PROCESSED, processed_at=now, last_error=""
        )
        result = BatchResult(published=len(published_ids))
        for index, error in failures.items():
            entry = entries[index]
            entry.attempts += 1
            entry.last_error = error[:2000]
            if entry.attempts >= self.max_attempts:
                entry.status = OutboxEntry.Status.DEAD
                entry.next_attempt_at = None
                result.dead += 1
                log.error("outbox entry is dead; its aggregate's stream is parked", **_context(entry))
            else:
                entry.next_attempt_at = now + backoff(entry.attempts)
                result.failed += 1
                log.warning(
                    "outbox entry failed; will retry", retry_at=entry.next_attempt_at.isoformat(), **_context(entry)
                )
            OutboxEntry.objects.filter(pk=entry.id).update(
                attempts=entry.attempts,
                last_error=entry.last_error,
                status=entry.status,
                next_attempt_at=entry.next_attempt_at,
            )
        if result.published:
            log.info("outbox entries published", count=result.published)
        return result, failures, report.published


def _publish_spans(entries: Sequence[Claimed], batch: Span) -> list[Span | None]:
    """One producer span per entry, a child of the context its command stored (a new trace without one)."""
    links = tracing.link_to(batch)
    return [
        tracing.start_span(
            f"{entry.event_type} publish",
            kind=SpanKind.PRODUCER,
            parent=entry.traceparent or None,
            root=not entry.traceparent,
            links=links,
            attributes={
                "messaging.system": broker.messaging_system(),
                "messaging.operation.type": "send",
                "messaging.message.id": str(entry.id),
                "orderflow.event_type": entry.event_type,
                "orderflow.correlation_id": entry.correlation_id,
            },
        )
        for entry in entries
    ]


_RETRIED = metrics.OUTBOX_PUBLISH_FAILURES.labels("retry")
_DEAD = metrics.OUTBOX_PUBLISH_FAILURES.labels("dead")


def _count(result: BatchResult) -> None:
    if result.published:
        metrics.OUTBOX_PUBLISHED.inc(result.published)
    if result.failed:
        _RETRIED.inc(result.failed)
    if result.dead:
        _DEAD.inc(result.dead)


def _held_back(entries: Sequence[Any], failed: set[int]) -> set[int]:
    """Positions after a failed entry of the same aggregate: they wait for it."""
    blocked: set[Any] = set()
    held: set[int] = set()
    for index, entry in enumerate(entries):
        key = (entry.aggregate_type, entry.aggregate_id)
        if key in blocked:
            held.add(index)
        elif index in failed:
            blocked.add(key)
    return held


def _context(entry: Claimed) -> dict[str, Any]:
    return {
        "event_id": str(entry.id),
        "event_type": entry.event_type,
        "aggregate_id": str(entry.aggregate_id),
        "aggregate_version": entry.aggregate_version,
        "attempts": entry.attempts,
        "correlation_id": entry.correlation_id or None,
        "error": entry.last_error,
    }


__all__ = ["BrokerUnavailable", "OutboxDispatcher", "backoff", "envelope"]
