"""L1: a bounded, thread-safe LRU map in process memory, each entry with its own expiry."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

MISSING: Any = object()
"""What ``get`` answers for a key it does not hold (None is a value like any other)."""


class LocalCache:
    """At most ``max_size`` entries; a full cache drops the least recently used one.

    ``get`` counts as a use. Each entry expires ``ttl`` seconds after it was set
    (``default_ttl`` when ``set`` names none); an expired entry is never answered.
    """

    def __init__(
        self, max_size: int = 1000, *, default_ttl: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self.default_ttl = default_ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = MISSING) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            expires, value = entry
            if expires <= self._clock():
                del self._entries[key]
                return default
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        expires = self._clock() + (self.default_ttl if ttl is None else ttl)
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not MISSING
