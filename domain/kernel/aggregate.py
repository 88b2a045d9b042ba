"""Aggregate roots: consistency boundaries that record the events of their changes."""

from __future__ import annotations

import dataclasses
from typing import ClassVar, TypeVar

from domain.kernel.entity import Entity, IdT
from domain.kernel.events import DomainEvent

EventT = TypeVar("EventT", bound=DomainEvent)


class AggregateRoot(Entity[IdT]):
    """Carries a version that grows by one with every recorded event.

    The version the aggregate was loaded at is ``version - len(pending_events)``;
    repositories use it for optimistic concurrency control.
    """

    __slots__ = ("_pending_events", "version")

    aggregate_type: ClassVar[str] = ""

    def __init__(self, *, id: IdT, version: int = 0) -> None:
        super().__init__(id=id)
        self.version = version
        self._pending_events: list[DomainEvent] = []

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        return tuple(self._pending_events)

    @property
    def loaded_version(self) -> int:
        return self.version - len(self._pending_events)

    def pull_events(self) -> list[DomainEvent]:
        """Hand over the recorded events and forget them (the unit of work calls this)."""
        events, self._pending_events = self._pending_events, []
        return events

    def _record(self, event: EventT) -> EventT:
        self.version += 1
        stamped = dataclasses.replace(
            event, aggregate_type=self.aggregate_type, aggregate_id=self.id, aggregate_version=self.version
        )
        self._pending_events.append(stamped)
        return stamped
