"""The read cache: L1 in this process, L2 in Redis for every process, kept in step by broadcast invalidations.

A read looks in L1, then in L2 (one round trip that also fetches the key's
revision floor), then loads from the database, once per process however many
threads miss the same key at the same time (single flight), and keeps what it
loaded in both levels.

Revisions keep every process moving forward. A value that carries a revision
(its row's version) is never served when this process has seen a newer one of
the same key, nor when the floor a projection left in L2 says a newer one is
committed. So a stale write into L2 by a read that raced a projection is
ignored by everyone, and no reader goes back in time after the projection's
invalidation has reached its process. ADR-0009 states the staleness bounds.

Whole kinds (a policy's every entry, such as the rendered list pages) are
forgotten by bumping the policy's generation in L1 and deleting its prefix in L2.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from apps.cache.local import MISSING, LocalCache
from apps.cache.shared import SharedCache
from apps.observability.metrics import CACHE_REQUESTS, child
from apps.platform.caching import CachePolicy

#: How long a reader waits for another thread's load of the same key before loading it itself.
FLIGHT_WAIT_SECONDS = 10.0


class Broadcast(Protocol):
    def publish(self, message: Mapping[str, Any]) -> None: ...

    def listen(self) -> None:
        """Start delivering the invalidations of other processes (idempotent)."""
        ...


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None


class TwoLevelCache:
    """The ``ReadCache`` of ``apps.platform.caching``."""

    def __init__(
        self,
        local: LocalCache,
        shared: SharedCache | None = None,
        *,
        broadcast: Broadcast | None = None,
        reads_enabled: bool = True,
    ) -> None:
        self.local = local
        self.shared = shared
        self.broadcast = broadcast
        self.reads_enabled = reads_enabled
        # The newest revision of each key this process has seen or been told of; kept longer than values.
        self.floors = LocalCache(max_size=local.max_size * 4, default_ttl=24 * 3600)
        # How many times each key was forgotten here: a load that straddles one is served, never kept.
        self.epochs = LocalCache(max_size=local.max_size * 4, default_ttl=24 * 3600)
        self._generations: dict[str, int] = {}
        self._flights: dict[str, _Flight] = {}
        self._flights_lock = threading.Lock()
        self._floors_lock = threading.Lock()  # a floor raised and a value kept never interleave
        # This process's own invalidations come back through the broadcast: applied already, ignored then.
        self.origin = uuid.uuid4().hex
        os.register_at_fork(after_in_child=self._forked)

    # --- The ReadCache port -------------------------------------------------------------------------

    def enabled(self, policy: CachePolicy) -> bool:
        return self.reads_enabled or not policy.switchable

    def get_or_load(self, policy: CachePolicy, key: str, load: Callable[[], Any]) -> Any:
        if not self.enabled(policy):
            return load()
        if self.broadcast is not None:
            self.broadcast.listen()
        local_key = self._local_key(policy, key)
        value = self.local.get(local_key)
        if value is not MISSING:
            _counted(policy.name, "hit")
            return value
        with self._flights_lock:
            flight = self._flights.get(local_key)
            leader = flight is None
            if flight is None:
                flight = self._flights[local_key] = _Flight()
        if not leader:
            flight.done.wait(FLIGHT_WAIT_SECONDS)
            if flight.value is not None:
                _counted(policy.name, "hit")  # another thread's load served this one too
                return flight.value
            _counted(policy.name, "miss")
            return load()
        try:
            flight.value = self._fetch(policy, key, local_key, load)
            return flight.value
        finally:
            flight.done.set()
            with self._flights_lock:
                self._flights.pop(local_key, None)

    def invalidate(self, policy: CachePolicy, revisions: Mapping[str, int | None]) -> None:
        self.forget(policy.name, revisions)
        if policy.shared and self.shared is not None:
            self.shared.delete_many(revisions)
            floors = {_floor_key(key): revision for key, revision in revisions.items() if revision is not None}
            if floors:  # outlive any value written before them, so a stale write is ignored for its whole life
                self.shared.set_floors(floors, 2 * policy.ttl)
        if self.broadcast is not None:
            self.broadcast.publish({"policy": policy.name, "keys": dict(revisions), "origin": self.origin})

    def invalidate_all(self, policy: CachePolicy) -> None:
        self.forget_all(policy.name)
        if policy.shared and self.shared is not None:
            self.shared.delete_prefix(f"{policy.name}:")
        if self.broadcast is not None:
            self.broadcast.publish({"policy": policy.name, "all": True, "origin": self.origin})

    # --- What the broadcast delivers ---------------------------------------------------------------

    def forget(self, policy_name: str, revisions: Mapping[str, int | None]) -> None:
        """Drop these keys from L1 and remember their revisions, so nothing older is served again here."""
        generation = self._generations.get(policy_name, 0)
        with self._floors_lock:
            for key, revision in revisions.items():
                if revision is not None:
                    self._raise_floor(key, revision)
                self.epochs.set(key, self.epochs.get(key, 0) + 1)
                self.local.delete(f"{key}@{generation}")

    def forget_all(self, policy_name: str) -> None:
        with self._flights_lock:
            self._generations[policy_name] = self._generations.get(policy_name, 0) + 1

    def received(self, message: Mapping[str, Any]) -> None:
        """One invalidation published by another process (this one's own were applied when published)."""
        if message.get("origin") == self.origin:
            return
        policy_name = str(message.get("policy", ""))
        if message.get("all"):
            self.forget_all(policy_name)
        else:
            self.forget(policy_name, message.get("keys") or {})

    def reconnected(self) -> None:
        """The broadcast was (re)established: what L1 holds may have missed invalidations meanwhile."""
        self.local.clear()

    def _forked(self) -> None:
        self.origin = uuid.uuid4().hex  # a child is another process: it must hear its parent's invalidations

    def clear_local(self) -> None:
        """Forget everything this process holds (L1 and the revisions it has seen); L2 is left alone."""
        with self._floors_lock:
            self.local.clear()
            self.floors.clear()

    # --- Inside -------------------------------------------------------------------------------------

    def _local_key(self, policy: CachePolicy, key: str) -> str:
        return f"{key}@{self._generations.get(policy.name, 0)}"

    def _fetch(self, policy: CachePolicy, key: str, local_key: str, load: Callable[[], Any]) -> Any:
        epoch = self.epochs.get(key, 0)
        shared_floor = None
        use_shared = policy.shared and self.shared is not None and self.shared.available
        if use_shared:
            assert self.shared is not None
            wanted = [key, _floor_key(key)] if policy.revision else [key]
            found = self.shared.get_many(wanted)
            shared_floor = found.get(_floor_key(key))
            entry = found.get(key)
            if isinstance(entry, tuple) and len(entry) == 2:
                expires, value = entry
                left = expires - time.time()  # the L2 entry's own remaining life, not a new TTL
                if left > 0 and self._keep(policy, key, local_key, value, shared_floor, epoch, ttl=left):
                    _counted(policy.name, "hit")
                    return value
        _counted(policy.name, "miss")
        value = load()
        if value is None or not self._keep(policy, key, local_key, value, shared_floor, epoch, ttl=policy.ttl):
            return value
        if use_shared:
            assert self.shared is not None
            self.shared.set_many({key: (time.time() + policy.ttl, value)}, policy.ttl)
        return value

    def _keep(
        self, policy: CachePolicy, key: str, local_key: str, value: Any, shared_floor: Any, epoch: int, *, ttl: float
    ) -> bool:
        """Keep ``value`` in L1 for ``ttl`` seconds if no invalidation of ``key`` arrived since ``epoch`` and it
        is at least as new as any revision of ``key`` seen here or committed by a projection (``shared_floor``,
        from L2); answers whether it was kept."""
        with self._floors_lock:
            if self.epochs.get(key, 0) != epoch:
                return False
            if policy.revision is not None:
                revision = policy.revision(value)
                floor = max(self.floors.get(key, -1), shared_floor if isinstance(shared_floor, int) else -1)
                if revision < floor:
                    return False
                self._raise_floor(key, revision)
            self.local.set(local_key, value, ttl)
        return True

    def _raise_floor(self, key: str, revision: int) -> None:
        if revision > self.floors.get(key, -1):
            self.floors.set(key, revision)


def _counted(policy_name: str, result: str) -> None:
    """``orderflow_cache_requests_total``: the layer is the policy (orders, access, ...), the result hit or miss."""
    child(CACHE_REQUESTS, policy_name, result).inc()


def _floor_key(key: str) -> str:
    return f"{key}:floor"
