"""Facts about webhook endpoints, recorded for the audit trail and the read model.

None of them carries a signing secret, not even a rotated-out one: events are
stored in the outbox and the audit trail, where a secret must never be. URLs
travel without their query string, where receivers sometimes put a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class EndpointEvent(DomainEvent):
    """What every fact about an endpoint carries."""

    endpoint_id: UUID


@dataclass(frozen=True, kw_only=True)
class EndpointSubscribed(EndpointEvent):
    event_type = "webhooks.endpoint_subscribed"

    url: str
    event_types: tuple[str, ...]
    description: str


@dataclass(frozen=True, kw_only=True)
class EndpointUpdated(EndpointEvent):
    """``changed`` names the fields that changed (``url``, ``event_types``, ``description``); the
    others carry the endpoint's values after the change."""

    event_type = "webhooks.endpoint_updated"

    changed: tuple[str, ...]
    url: str
    event_types: tuple[str, ...]
    description: str


@dataclass(frozen=True, kw_only=True)
class EndpointSecretRotated(EndpointEvent):
    """A new signing secret is current; the previous one keeps signing until ``previous_expires_at``."""

    event_type = "webhooks.endpoint_secret_rotated"

    previous_expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class EndpointDisabled(EndpointEvent):
    """``cause`` is ``requested`` (by a person), ``failing`` (deliveries failed for too long) or
    ``gone`` (the receiver answered 410 Gone)."""

    event_type = "webhooks.endpoint_disabled"

    reason: str
    cause: str
    failing_since: datetime | None


@dataclass(frozen=True, kw_only=True)
class EndpointEnabled(EndpointEvent):
    event_type = "webhooks.endpoint_enabled"
