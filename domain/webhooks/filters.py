"""Which integration events an endpoint wants: exact event types or a whole context.

A filter is either an exact event type (``orders.order_placed``) or a context
wildcard (``orders.*``, every event of the orders context). Only the syntax is
checked here; whether a name is in the event catalogue is for the caller to say
(``EventTypeFilters.unmatched``), since the catalogue lives outside this context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.errors import InvalidValueError
from domain.kernel.value_object import ValueObject

_FILTER = re.compile(r"[a-z_]+\.(?:[a-z_]+|\*)")
WILDCARD = "*"


def matches(pattern: str, event_type: str) -> bool:
    """``event_type`` is ``pattern``, or ``pattern`` is ``<context>.*`` and ``event_type`` is in that context."""
    if pattern.endswith("." + WILDCARD):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


@dataclass(frozen=True, slots=True)
class EventTypeFilters(ValueObject):
    """1 to ``MAX`` filters, each trimmed and of the form ``<context>.<event>`` or ``<context>.*``;
    duplicates are dropped and the rest kept sorted, so two equal choices compare equal.

    A filter made redundant by a wildcard (``orders.order_placed`` beside ``orders.*``) is
    kept: the endpoint shows what its owner chose.
    """

    patterns: tuple[str, ...]

    MAX: ClassVar[int] = 50

    def __init__(self, patterns: Iterable[str]) -> None:
        if isinstance(patterns, str):
            raise InvalidValueError("event_types", "Give a list of event types, not one string.")
        cleaned: set[str] = set()
        for pattern in patterns:
            if not isinstance(pattern, str):
                raise InvalidValueError("event_types", "An event type is a string.")
            text = pattern.strip()
            if not _FILTER.fullmatch(text):
                raise InvalidValueError(
                    "event_types",
                    f"{text!r} is not an event type: write 'context.event_name' or 'context.*' in lower case.",
                )
            cleaned.add(text)
        if not cleaned:
            raise InvalidValueError("event_types", "Choose at least one event type.")
        if len(cleaned) > self.MAX:
            raise InvalidValueError("event_types", f"An endpoint has at most {self.MAX} event types.")
        object.__setattr__(self, "patterns", tuple(sorted(cleaned)))

    def wants(self, event_type: str) -> bool:
        """Whether any filter matches ``event_type``."""
        return any(matches(pattern, event_type) for pattern in self.patterns)

    def unmatched(self, catalogue: Iterable[str]) -> tuple[str, ...]:
        """The filters that match no event type of ``catalogue`` (a typo, or a context that publishes nothing)."""
        known = tuple(catalogue)
        return tuple(pattern for pattern in self.patterns if not any(matches(pattern, name) for name in known))

    def __iter__(self) -> Iterator[str]:
        return iter(self.patterns)
