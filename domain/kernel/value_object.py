"""Value objects: immutable, compared by value, valid by construction.

Subclasses are frozen dataclasses that check themselves in ``__post_init__`` and
raise :class:`~domain.kernel.errors.InvalidValueError`, so an invalid one cannot
exist.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ValueObject:
    """Marker base class; the dataclass machinery gives value equality and hashing."""
