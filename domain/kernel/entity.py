"""Entities are equal when their identities are equal, whatever their attributes."""

from __future__ import annotations

from typing import Generic, TypeVar
from uuid import UUID

IdT = TypeVar("IdT", bound=UUID)


class Entity(Generic[IdT]):
    __slots__ = ("id",)

    def __init__(self, *, id: IdT) -> None:
        self.id = id

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and isinstance(other, Entity) and self.id == other.id

    def __hash__(self) -> int:
        return hash((type(self), self.id))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!s})"
