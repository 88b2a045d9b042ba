"""L2: the cache every process shares (django-redis in the real stack), never a reason to fail a read.

Redis unreachable, slow or refusing: the read goes on without it. After a failure
reads and writes of values skip the shared cache for ``pause`` seconds, so a dead
Redis costs one socket timeout per pause rather than one per request, and one
warning at most every few seconds says so (``apps.platform.outages``). Deletes and
revision floors are always tried: skipping one would leave a stale value behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.cache import BaseCache

from apps.cache.local import MISSING
from apps.platform import outages


class SharedCache:
    def __init__(self, backend: BaseCache, *, pause: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.backend = backend
        self.pause = pause
        self._clock = clock
        self._skip_until = 0.0

    @property
    def available(self) -> bool:
        return self._clock() >= self._skip_until

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The values held under ``keys`` (one round trip); nothing while Redis is unavailable."""
        if not self.available:
            return {}
        try:
            return dict(self.backend.get_many(list(keys)))
        except Exception as error:  # any failure of the shared cache is a miss, never the caller's
            self._failed(error)
            return {}

    def get(self, key: str) -> Any:
        return self.get_many([key]).get(key, MISSING)

    def set_many(self, values: Mapping[str, Any], ttl: float) -> None:
        self._call(lambda: self.backend.set_many(dict(values), timeout=max(1, round(ttl))))

    def delete_many(self, keys: Iterable[str]) -> None:
        """Tried even during a pause: a forgotten delete would leave a stale value for every process."""
        self._call(lambda: self.backend.delete_many(list(keys)), always=True)

    def set_floors(self, floors: Mapping[str, int], ttl: float) -> None:
        """Revision floors, tried even during a pause, like deletes."""
        self._call(lambda: self.backend.set_many(dict(floors), timeout=max(1, round(ttl))), always=True)

    def delete_prefix(self, prefix: str) -> None:
        """Every key under ``prefix`` (django-redis scans for them; other backends drop everything)."""
        delete_pattern = getattr(self.backend, "delete_pattern", None)
        self._call(lambda: delete_pattern(f"{prefix}*") if delete_pattern else self.backend.clear(), always=True)

    def _call(self, operation: Callable[[], object], *, always: bool = False) -> None:
        if not always and not self.available:
            return
        try:
            operation()
        except Exception as error:  # as in get_many
            self._failed(error)

    def _failed(self, error: Exception) -> None:
        self._skip_until = self._clock() + self.pause
        outages.report(outages.REDIS, error, during="read cache", skipped_seconds=self.pause)
