"""Domain events (facts inside a context) and the integration envelope (what leaves it)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from domain.kernel.serialization import to_primitive


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """A past-tense fact recorded by an aggregate.

    ``occurred_at`` comes from the caller's clock. ``aggregate_type``,
    ``aggregate_id`` and ``aggregate_version`` are stamped by the aggregate that
    records the event.
    Subclasses set ``event_type`` (``"<context>.<snake_name>"``) and bump
    ``event_version`` when their payload changes shape.
    """

    event_type: ClassVar[str] = ""
    event_version: ClassVar[int] = 1

    occurred_at: datetime
    event_id: UUID = field(default_factory=uuid4)
    aggregate_type: str = ""
    aggregate_id: UUID | None = None
    aggregate_version: int = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.event_type and not re.fullmatch(r"[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*", cls.event_type):
            raise TypeError(f"{cls.__name__}.event_type must look like 'context.event_name'")


@dataclass(frozen=True, kw_only=True)
class IntegrationEvent:
    """The versioned envelope in which an event leaves its context through the outbox."""

    event_id: UUID
    event_type: str
    event_version: int
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    occurred_at: datetime
    payload: Mapping[str, Any]
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None


ENVELOPE_FIELDS = frozenset({"event_id", "occurred_at", "aggregate_type", "aggregate_id", "aggregate_version"})


def to_integration_event(
    event: DomainEvent,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    traceparent: str | None = None,
) -> IntegrationEvent:
    """Wrap a recorded domain event in the envelope that leaves its context."""
    if event.aggregate_id is None or not event.aggregate_type:
        raise ValueError(f"{type(event).__name__} was not recorded by an aggregate")
    primitive = to_primitive(event)
    return IntegrationEvent(
        event_id=event.event_id,
        event_type=event.event_type,
        event_version=event.event_version,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        aggregate_version=event.aggregate_version,
        occurred_at=event.occurred_at,
        payload={key: value for key, value in primitive.items() if key not in ENVELOPE_FIELDS},
        correlation_id=correlation_id,
        causation_id=causation_id,
        traceparent=traceparent,
    )
