"""``Result = Ok | Err``: how handlers report expected failures without raising.

``attempt`` is where the two ways of failing meet: a value object that refuses its
value raises ``InvalidValueError``, and a handler reports it as ``Err(ValidationError)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from domain.kernel.errors import InvalidValueError, ValidationError

T = TypeVar("T", covariant=True)
E = TypeVar("E", covariant=True)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    value: T

    @property
    def is_ok(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Err(Generic[E]):
    error: E

    @property
    def is_ok(self) -> bool:
        return False


Result: TypeAlias = Ok[T] | Err[E]


def attempt(build: Callable[[], V], *, message: str = ValidationError.DEFAULT_MESSAGE) -> Result[V, ValidationError]:
    """``Ok(build())``, or ``Err(ValidationError(message, {field: [reason]}))`` when ``build``
    raises ``InvalidValueError(field, reason)``.

    Any other exception propagates: only a refused value is a validation error.
    """
    try:
        return Ok(build())
    except InvalidValueError as exc:
        return Err(ValidationError(message, {exc.field: [exc.message]}))
