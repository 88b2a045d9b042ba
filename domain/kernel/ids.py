"""Identity generation behind a port, so tests can make ids deterministic."""

from __future__ import annotations

import uuid
from typing import Protocol
from uuid import UUID


class IdFactory(Protocol):
    def new(self) -> UUID: ...


class RandomIdFactory:
    """Random (version 4) UUIDs: the production id factory."""

    def new(self) -> UUID:
        return uuid.uuid4()


class SequentialIdFactory:
    """Predictable UUIDs (``00000000-...-000000000001``, then ``...02``) for tests and demos."""

    def __init__(self, start: int = 1) -> None:
        self._next = start

    def new(self) -> UUID:
        value = UUID(int=self._next)
        self._next += 1
        return value
