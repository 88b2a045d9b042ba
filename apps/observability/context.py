"""Values that hold for one request, task or dispatch: who is acting, which request is served, a list's scope.

Each is a ``ContextVar``, so threads and asyncio tasks never see each other's, set for the length of a
``with`` block and put back as it was when the block ends, however it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")


class ContextValue(Generic[T]):
    def __init__(self, name: str, default: T) -> None:
        self._var: ContextVar[T] = ContextVar(name, default=default)

    def get(self) -> T:
        return self._var.get()

    @contextmanager
    def set_to(self, value: T) -> Iterator[T]:
        token = self._var.set(value)
        try:
            yield value
        finally:
            self._var.reset(token)
