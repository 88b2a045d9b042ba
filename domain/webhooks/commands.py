"""What callers can ask of the webhooks context.

No command carries a signing secret: secrets are made by the handlers (through the
``SecretGenerator`` port) and handed back once in their result, never taken in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.kernel.messages import Command


@dataclass(frozen=True)
class SubscribeEndpoint(Command):
    """Subscribe ``url`` to the integration events ``event_types`` names (exact types or ``context.*``).

    ``allow_http`` lets a plain ``http://`` URL through: a development deployment only.
    """

    url: str
    event_types: tuple[str, ...]
    description: str
    requested_by: UUID
    allow_http: bool = False


@dataclass(frozen=True)
class UpdateEndpoint(Command):
    """Change what is given of an endpoint's URL, event types and description; ``None`` keeps it."""

    endpoint_id: UUID
    requested_by: UUID
    url: str | None = None
    event_types: tuple[str, ...] | None = None
    description: str | None = None
    allow_http: bool = False


@dataclass(frozen=True)
class RotateEndpointSecret(Command):
    """Give the endpoint a new signing secret; the previous one keeps signing for ``overlap_seconds``."""

    endpoint_id: UUID
    overlap_seconds: int
    requested_by: UUID


@dataclass(frozen=True)
class DisableEndpoint(Command):
    endpoint_id: UUID
    reason: str
    requested_by: UUID


@dataclass(frozen=True)
class EnableEndpoint(Command):
    endpoint_id: UUID
    requested_by: UUID


@dataclass(frozen=True)
class RedeliverDelivery(Command):
    """Send one finished delivery (succeeded or failed) again."""

    delivery_id: UUID
    requested_by: UUID


@dataclass(frozen=True)
class RedeliverSince(Command):
    """Send again every finished delivery of the endpoint created at or after ``since``."""

    endpoint_id: UUID
    since: datetime
    requested_by: UUID


@dataclass(frozen=True)
class RecordDeliveryAttempt(Command):
    """What one attempt to send a delivery came to: the receiver's HTTP status, or the kind of
    transport failure (a ``TransportError`` value) when there was no answer.

    ``retry_after_seconds`` is the receiver's Retry-After, heeded for 429 and 503 only. Sent by
    the sending task, never by a person.
    """

    delivery_id: UUID
    status_code: int | None = None
    error: str | None = None
    retry_after_seconds: int | None = None
