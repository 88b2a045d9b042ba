from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from domain.kernel.aggregate import AggregateRoot
from domain.kernel.events import DomainEvent
from domain.kernel.ports import FrozenClock, Repository, SystemClock, UnitOfWork

NOW = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


class Note(AggregateRoot[UUID]):
    aggregate_type = "notes.note"

    def touch(self) -> None:
        self._record(DomainEvent(occurred_at=NOW))


class InMemoryNotes(Repository[Note]):
    def __init__(self, stored: list[Note] | None = None) -> None:
        super().__init__()
        self.stored = {note.id: note for note in stored or []}
        self.loads = 0

    def _add(self, aggregate: Note) -> None:
        self.stored[aggregate.id] = aggregate

    def _get(self, id: UUID) -> Note | None:
        self.loads += 1
        return self.stored.get(id)

    def flush(self) -> None:
        self.stored.update(self.seen)


class NotesUnitOfWork(UnitOfWork):
    def __init__(self, *repositories: InMemoryNotes) -> None:
        self._repositories = repositories
        self.rollbacks = 0
        self.commits = 0

    def repositories(self) -> tuple[Repository[Any], ...]:
        return self._repositories

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1


def test_repository_tracks_added_aggregates():
    notes = InMemoryNotes()
    note = Note(id=UUID(int=1))

    notes.add(note)

    assert notes.seen == {note.id: note}
    assert notes.stored == {note.id: note}


def test_repository_get_returns_none_for_an_unknown_id_and_tracks_nothing():
    notes = InMemoryNotes()

    assert notes.get(UUID(int=9)) is None
    assert notes.seen == {}


def test_repository_get_tracks_what_it_loaded_and_answers_later_gets_from_memory():
    note = Note(id=UUID(int=1))
    notes = InMemoryNotes([note])

    first = notes.get(note.id)
    second = notes.get(note.id)

    assert first is second is note
    assert notes.seen == {note.id: note}
    assert notes.loads == 1


def test_leaving_a_unit_of_work_rolls_back():
    uow = NotesUnitOfWork()

    with uow as entered:
        assert entered is uow

    assert uow.rollbacks == 1


def test_leaving_a_unit_of_work_with_an_exception_rolls_back_and_lets_it_through():
    uow = NotesUnitOfWork()

    with pytest.raises(RuntimeError), uow:
        raise RuntimeError("boom")

    assert uow.rollbacks == 1


def test_collect_events_pulls_the_events_of_every_tracked_aggregate_in_order():
    first_notes, second_notes = InMemoryNotes(), InMemoryNotes()
    a, b, c = Note(id=UUID(int=1)), Note(id=UUID(int=2)), Note(id=UUID(int=3))
    first_notes.add(a)
    first_notes.add(b)
    second_notes.add(c)
    c.touch()
    a.touch()
    a.touch()
    b.touch()
    uow = NotesUnitOfWork(first_notes, second_notes)

    events = uow.collect_events()

    assert [(e.aggregate_id, e.aggregate_version) for e in events] == [
        (a.id, 1),
        (a.id, 2),
        (b.id, 1),
        (c.id, 1),
    ]
    assert uow.collect_events() == []
    assert a.pending_events == b.pending_events == c.pending_events == ()


def test_frozen_clock_stands_still_until_advanced():
    clock = FrozenClock(NOW)

    assert clock.now() == clock.now() == NOW
    clock.advance(timedelta(minutes=5))
    assert clock.now() == NOW + timedelta(minutes=5)


def test_frozen_clock_refuses_a_naive_time():
    with pytest.raises(ValueError, match="aware"):
        FrozenClock(datetime(2026, 1, 1))


def test_frozen_clock_keeps_the_zone_it_was_given():
    at = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))

    assert FrozenClock(at).now().utcoffset() == timedelta(hours=2)


def test_system_clock_tells_the_current_time_in_utc():
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)

    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after
