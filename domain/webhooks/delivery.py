"""Delivering one integration event to one endpoint: the retry schedule and the delivery's life.

The guarantee is **at least once**: a delivery is retried until its receiver
answers 2xx, answers 410 Gone, or the schedule is spent, and a message may
arrive more than once (a retry after a lost answer, a redelivery, an event
fanned out again). Receivers de-duplicate on the ``webhook-id`` header, which
is stable: it is derived from the endpoint and the event, so every copy of a
message carries the same one. **Per-endpoint ordering is not promised**, not
even for the events of one aggregate: a retried message is overtaken by later
ones; receivers order by the payload's ``aggregate_version`` when it matters.

A delivery is pending until it succeeds (``succeeded``) or gives up or meets a
410 (``failed``); while its endpoint is disabled it waits, still pending. A
finished delivery can be redelivered: it is pending again, due at once, and
gets a fresh round of the schedule; its attempts so far still count in
``attempts``.

``Delivery`` is an entity of its own rather than a part of the Endpoint
aggregate: an endpoint has an unbounded number of them, each changes on its own
(one worker per attempt), and none of its changes is a fact another context
needs, so it records no domain events. Its adapter is to write it with a guard on
``attempts`` (the number can only grow), which serves as its concurrency check.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid5

from domain.kernel.entity import Entity
from domain.kernel.errors import DomainError, InvalidValueError
from domain.kernel.result import Err, Ok, Result
from domain.kernel.value_object import ValueObject
from domain.webhooks.errors import DeliveryNotPendingError, DeliveryPendingError

#: The waits between attempts after the first one fails: 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h
#: seven times; 77 h 35 min 5 s (about 3.2 days) in all, over 13 attempts.
DEFAULT_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    *(timedelta(hours=10),) * 7,
)
#: Each wait is stretched or shrunk by up to this fraction, so endpoints that failed together
#: are not all retried in the same second.
DEFAULT_JITTER = 0.2

#: The namespace of the version 5 UUIDs that delivery ids (and so webhook-ids) are made of.
DELIVERY_NAMESPACE = UUID("a7e71276-ade3-4c2b-b209-b11e0b37e132")
WEBHOOK_ID_PREFIX = "msg_"
_WEBHOOK_ID = re.compile(r"msg_([0-9a-f]{32})")


def checked_fraction(value: float) -> float:
    """``value`` as a random fraction: a number in [0, 1). InvalidValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise InvalidValueError("random_fraction", "A random fraction is a number from 0 up to, not including, 1.")
    return float(value)


@dataclass(frozen=True, slots=True)
class RetrySchedule(ValueObject):
    """When to try a delivery again after a failed attempt.

    ``delays[n - 1]`` is the wait after attempt ``n`` fails, so a delivery gets ``len(delays) + 1``
    attempts in all (``max_attempts``). Each wait is scaled by a factor in ``[1 - jitter, 1 + jitter)``
    drawn from the caller's random fraction. A receiver's ``Retry-After`` lengthens a wait, never
    shortens it, and counts for at most ``retry_after_cap`` (by default the longest delay), so a
    receiver cannot park its deliveries for ever.

    The delays are positive and non-decreasing; the jitter is in [0, 1).
    """

    delays: tuple[timedelta, ...] = DEFAULT_DELAYS
    jitter: float = DEFAULT_JITTER
    max_retry_after: timedelta | None = None

    def __post_init__(self) -> None:
        if not self.delays:
            raise InvalidValueError("delays", "A retry schedule has at least one delay.")
        if any(delay <= timedelta(0) for delay in self.delays):
            raise InvalidValueError("delays", "Every delay of a retry schedule is positive.")
        if any(later < earlier for earlier, later in zip(self.delays, self.delays[1:], strict=False)):
            raise InvalidValueError("delays", "The delays of a retry schedule never decrease.")
        if isinstance(self.jitter, bool) or not (isinstance(self.jitter, int | float) and 0 <= self.jitter < 1):
            raise InvalidValueError("jitter", "The jitter is a fraction from 0 up to, not including, 1.")
        if self.max_retry_after is not None and self.max_retry_after < timedelta(0):
            raise InvalidValueError("max_retry_after", "The cap on Retry-After is not negative.")

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    @property
    def total(self) -> timedelta:
        """The sum of the delays before jitter: from the first attempt to the last."""
        return sum(self.delays, timedelta(0))

    @property
    def retry_after_cap(self) -> timedelta:
        return self.max_retry_after if self.max_retry_after is not None else max(self.delays)

    def delay(self, attempt_number: int, fraction: float) -> timedelta:
        """The wait after attempt ``attempt_number`` (1 to ``len(delays)``) failed, with its jitter:
        the delay times ``1 + jitter * (2 * fraction - 1)``, to the microsecond.

        Raises ``InvalidValueError`` for an attempt number out of range or a fraction outside [0, 1).
        """
        if isinstance(attempt_number, bool) or not 1 <= attempt_number <= len(self.delays):
            raise InvalidValueError("attempt_number", f"An attempt number here is 1 to {len(self.delays)}.")
        factor = 1 + self.jitter * (2 * checked_fraction(fraction) - 1)
        base = self.delays[attempt_number - 1] // timedelta(microseconds=1)
        return timedelta(microseconds=math.floor(base * factor))

    def next_attempt_at(
        self, now: datetime, attempt_number: int, fraction: float, retry_after: timedelta | None = None
    ) -> datetime | None:
        """When to make the attempt after attempt ``attempt_number`` failed at ``now``; None when that
        was the last one. The wait is the jittered delay, or ``retry_after`` (at least 0, at most
        ``retry_after_cap``) when that is longer.
        """
        if attempt_number < 1:
            raise InvalidValueError("attempt_number", "Attempts are numbered from 1.")
        if attempt_number >= self.max_attempts:
            checked_fraction(fraction)
            return None
        wait = self.delay(attempt_number, fraction)
        if retry_after is not None:
            wait = max(wait, min(max(retry_after, timedelta(0)), self.retry_after_cap))
        return now + wait


class TransportError(StrEnum):
    """Why an attempt got no HTTP answer."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    TLS = "tls"
    #: The host resolved to an address deliveries may not go to (the SSRF guard refused it).
    BLOCKED_ADDRESS = "blocked_address"
    #: The answer was not valid HTTP.
    PROTOCOL = "protocol"
    #: Not sent: the payload is above the installation's limit (lowered since the event was fanned out).
    PAYLOAD_TOO_LARGE = "payload_too_large"


class OutcomeKind(StrEnum):
    SUCCEEDED = "succeeded"
    #: 410 Gone: the receiver wants no more; the endpoint is disabled and nothing is retried.
    GONE = "gone"
    #: 429 or 503: retried, no sooner than the receiver's Retry-After.
    THROTTLED = "throttled"
    #: Any other status (redirects included: they are not followed) or a transport error: retried.
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AttemptOutcome(ValueObject):
    """How one attempt ended: an HTTP status (100-599) or a transport error, exactly one of them."""

    status_code: int | None = None
    error: TransportError | None = None

    def __post_init__(self) -> None:
        if (self.status_code is None) == (self.error is None):
            raise InvalidValueError("outcome", "An attempt ends with either an HTTP status or a transport error.")
        if self.status_code is not None and (
            isinstance(self.status_code, bool)
            or not isinstance(self.status_code, int)
            or not 100 <= self.status_code <= 599
        ):
            raise InvalidValueError("status_code", "An HTTP status is a number from 100 to 599.")

    @classmethod
    def from_status(cls, status_code: int) -> AttemptOutcome:
        return cls(status_code=status_code)

    @classmethod
    def from_error(cls, error: TransportError) -> AttemptOutcome:
        return cls(error=TransportError(error))

    @property
    def kind(self) -> OutcomeKind:
        code = self.status_code
        if code is None:
            return OutcomeKind.FAILED
        if 200 <= code <= 299:
            return OutcomeKind.SUCCEEDED
        if code == 410:
            return OutcomeKind.GONE
        if code in (429, 503):
            return OutcomeKind.THROTTLED
        return OutcomeKind.FAILED


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self is not DeliveryStatus.PENDING


class AttemptResult(StrEnum):
    """What an attempt made of its delivery, and so what the caller tells the endpoint:
    ``delivered`` -> ``record_delivery_succeeded``; ``gone`` -> ``record_gone``;
    ``retrying`` and ``gave_up`` -> ``record_delivery_failed``."""

    DELIVERED = "delivered"
    RETRYING = "retrying"
    GAVE_UP = "gave_up"
    GONE = "gone"


def delivery_id(endpoint_id: UUID, event_id: UUID) -> UUID:
    """The id of the delivery of ``event_id`` to ``endpoint_id``: always the same for the same pair."""
    return uuid5(DELIVERY_NAMESPACE, f"{endpoint_id}/{event_id}")


def webhook_id(id: UUID) -> str:
    """The ``webhook-id`` header of a delivery: ``msg_`` and the 32 hex digits of its id."""
    return WEBHOOK_ID_PREFIX + id.hex


def delivery_id_from_webhook_id(value: str) -> UUID:
    """The delivery id a ``webhook-id`` names; InvalidValueError (``webhook_id``) for anything else."""
    found = _WEBHOOK_ID.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise InvalidValueError("webhook_id", "A webhook-id is 'msg_' and 32 lower-case hex digits.")
    return UUID(hex=found.group(1))


class Delivery(Entity[UUID]):
    """One integration event on its way to one endpoint."""

    __slots__ = (
        "attempts",
        "attempts_before_round",
        "created_at",
        "endpoint_id",
        "event_id",
        "event_type",
        "last_attempt_at",
        "last_error",
        "last_status",
        "next_attempt_at",
        "occurred_at",
        "status",
    )

    def __init__(
        self,
        *,
        id: UUID,
        endpoint_id: UUID,
        event_id: UUID,
        event_type: str,
        occurred_at: datetime,
        created_at: datetime,
        status: DeliveryStatus = DeliveryStatus.PENDING,
        attempts: int = 0,
        attempts_before_round: int = 0,
        next_attempt_at: datetime | None = None,
        last_attempt_at: datetime | None = None,
        last_status: int | None = None,
        last_error: TransportError | None = None,
    ) -> None:
        super().__init__(id=id)
        self.endpoint_id = endpoint_id
        self.event_id = event_id
        self.event_type = event_type
        self.occurred_at = occurred_at
        self.created_at = created_at
        self.status = status
        self.attempts = attempts
        self.attempts_before_round = attempts_before_round
        self.next_attempt_at = next_attempt_at
        self.last_attempt_at = last_attempt_at
        self.last_status = last_status
        self.last_error = last_error

    @classmethod
    def create(
        cls, *, endpoint_id: UUID, event_id: UUID, event_type: str, occurred_at: datetime, now: datetime
    ) -> Delivery:
        """A pending delivery of the event to the endpoint, due at once; its id comes from the pair."""
        return cls(
            id=delivery_id(endpoint_id, event_id),
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=event_type,
            occurred_at=occurred_at,
            created_at=now,
            next_attempt_at=now,
        )

    @property
    def webhook_id(self) -> str:
        return webhook_id(self.id)

    @property
    def attempts_this_round(self) -> int:
        """Attempts since the delivery was created or last redelivered: its place in the schedule."""
        return self.attempts - self.attempts_before_round

    def is_due(self, now: datetime) -> bool:
        due = self.next_attempt_at
        return self.status is DeliveryStatus.PENDING and due is not None and due <= now

    def record_attempt(
        self,
        *,
        outcome: AttemptOutcome,
        now: datetime,
        schedule: RetrySchedule,
        random_fraction: float,
        retry_after: timedelta | None = None,
    ) -> Result[AttemptResult, DomainError]:
        """Count an attempt that ended with ``outcome`` at ``now`` and say what became of the delivery.

        ``retry_after`` (the receiver's Retry-After) is heeded for 429 and 503 only. Err
        ``DeliveryNotPendingError`` when the delivery is no longer pending (a report that came after
        the delivery finished); nothing changes then. Raises ``InvalidValueError`` for
        a random fraction outside [0, 1).
        """
        fraction = checked_fraction(random_fraction)
        if self.status is not DeliveryStatus.PENDING:
            return Err(DeliveryNotPendingError(f"Delivery {self.webhook_id} is {self.status.value}."))
        self.attempts += 1
        self.last_attempt_at = now
        self.last_status = outcome.status_code
        self.last_error = outcome.error
        kind = outcome.kind
        if kind is OutcomeKind.SUCCEEDED:
            self._finish(DeliveryStatus.SUCCEEDED)
            return Ok(AttemptResult.DELIVERED)
        if kind is OutcomeKind.GONE:
            self._finish(DeliveryStatus.FAILED)
            return Ok(AttemptResult.GONE)
        heeded = retry_after if kind is OutcomeKind.THROTTLED else None
        next_at = schedule.next_attempt_at(now, self.attempts_this_round, fraction, heeded)
        if next_at is None:
            self._finish(DeliveryStatus.FAILED)
            return Ok(AttemptResult.GAVE_UP)
        self.next_attempt_at = next_at
        return Ok(AttemptResult.RETRYING)

    def redeliver(self, *, now: datetime) -> Result[None, DomainError]:
        """Send a finished delivery again: pending, due at ``now``, with a fresh round of the schedule;
        its attempts so far are kept. Err ``DeliveryPendingError`` for one still pending."""
        if self.status is DeliveryStatus.PENDING:
            return Err(DeliveryPendingError(f"Delivery {self.webhook_id} is still pending."))
        self.status = DeliveryStatus.PENDING
        self.next_attempt_at = now
        self.attempts_before_round = self.attempts
        return Ok(None)

    def _finish(self, status: DeliveryStatus) -> None:
        self.status = status
        self.next_attempt_at = None
