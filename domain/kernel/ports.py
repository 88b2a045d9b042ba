"""Ports shared by every context: repositories, the unit of work and the clock."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar
from uuid import UUID

from domain.kernel.aggregate import AggregateRoot
from domain.kernel.events import DomainEvent

AggregateT = TypeVar("AggregateT", bound=AggregateRoot[UUID])


class Repository(ABC, Generic[AggregateT]):
    """Collection-like access to one aggregate type.

    ``get`` returns ``None`` for an unknown id. ``add`` registers a new aggregate;
    aggregates returned by ``get`` are tracked too, so their changes are saved by
    the unit of work on commit without a separate ``save`` call.
    """

    def __init__(self) -> None:
        self.seen: dict[UUID, AggregateT] = {}

    def add(self, aggregate: AggregateT) -> None:
        self._add(aggregate)
        self.seen[aggregate.id] = aggregate

    def get(self, id: UUID) -> AggregateT | None:
        aggregate = self.seen.get(id) or self._get(id)
        if aggregate is not None:
            self.seen[aggregate.id] = aggregate
        return aggregate

    @abstractmethod
    def _add(self, aggregate: AggregateT) -> None: ...

    @abstractmethod
    def _get(self, id: UUID) -> AggregateT | None: ...

    @abstractmethod
    def flush(self) -> None:
        """Write every tracked aggregate that changed; the unit of work calls it on commit.

        Raises ``ConflictError`` when an aggregate was changed by someone else since it was loaded.
        """


class UnitOfWork(ABC):
    """One atomic business transaction.

    ``with uow:`` opens it; ``commit()`` persists every aggregate its repositories
    touched together with their events; leaving the block without a commit rolls
    everything back. Concrete units of work expose one attribute per repository.
    """

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None: ...

    @abstractmethod
    def repositories(self) -> tuple[Repository[Any], ...]:
        """Every repository of this unit of work, in the order their changes are saved."""

    def collect_events(self) -> list[DomainEvent]:
        """Pull the pending events of every tracked aggregate, oldest aggregate first."""
        events: list[DomainEvent] = []
        for repository in self.repositories():
            for aggregate in repository.seen.values():
                events.extend(aggregate.pull_events())
        return events


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to: deterministic tests and replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta
