"""The two-level read cache on fakes: single flight, revision floors, invalidations, a failing L2."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache.backends.locmem import LocMemCache

from apps.cache.local import MISSING, LocalCache
from apps.cache.shared import SharedCache
from apps.cache.two_level import TwoLevelCache
from apps.platform.caching import CachePolicy


@dataclass(frozen=True)
class Row:
    id: str
    revision: int


ROWS = CachePolicy("rows", ttl=60, revision=lambda row: row.revision)
PAGES = CachePolicy("pages", ttl=60, shared=False)
SWITCHABLE = CachePolicy("switchable", ttl=60)
ALWAYS = CachePolicy("always", ttl=60, switchable=False)


class BrokenBackend(LocMemCache):
    """A shared cache that cannot be reached: every call fails, and each is counted."""

    def __init__(self) -> None:
        super().__init__("broken", {})
        self.calls = 0

    def get_many(self, keys: Any, version: Any = None) -> Any:
        self.calls += 1
        raise ConnectionError("Connection refused")

    def set_many(self, data: Any, timeout: Any = None, version: Any = None) -> Any:
        self.calls += 1
        raise ConnectionError("Connection refused")

    def delete_many(self, keys: Any, version: Any = None) -> Any:
        self.calls += 1
        raise ConnectionError("Connection refused")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def shared(name: str) -> LocMemCache:
    backend = LocMemCache(name, {})
    backend.clear()
    return backend


def test_concurrent_misses_on_one_key_load_it_once():
    cache = TwoLevelCache(LocalCache(10))
    started, release = threading.Event(), threading.Event()
    loads: list[int] = []

    def load() -> Row:
        loads.append(1)
        started.set()
        release.wait(5)
        return Row("a", 1)

    answers: list[Row] = []
    threads = [
        threading.Thread(target=lambda: answers.append(cache.get_or_load(ROWS, "rows:a", load))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    started.wait(5)
    time.sleep(0.05)  # the other seven are waiting on the first one's load
    release.set()
    for thread in threads:
        thread.join(5)

    assert loads == [1]
    assert answers == [Row("a", 1)] * 8


def test_a_waiter_whose_leader_found_nothing_loads_for_itself():
    cache = TwoLevelCache(LocalCache(10))
    assert cache.get_or_load(ROWS, "rows:none", lambda: None) is None
    assert cache.get_or_load(ROWS, "rows:none", lambda: Row("none", 1)) == Row("none", 1)  # None was not kept


def test_an_invalidation_with_a_revision_refuses_anything_older_from_anywhere():
    l2 = shared("floors")
    projection, reader = TwoLevelCache(LocalCache(10), SharedCache(l2)), TwoLevelCache(LocalCache(10), SharedCache(l2))
    reader.get_or_load(ROWS, "rows:a", lambda: Row("a", 1))

    projection.invalidate(ROWS, {"rows:a": 2})  # the row is at revision 2 now; the reader was not told
    # a read that raced the projection writes the old row back, as an L2 entry (its expiry, the value)
    reader.shared.set_many({"rows:a": (time.time() + 60, Row("a", 1))}, 60)
    reader.received({"policy": "rows", "keys": {"rows:a": 2}})

    assert reader.get_or_load(ROWS, "rows:a", lambda: Row("a", 2)) == Row("a", 2)
    # another process, never told anything, finds the floor in L2 and ignores the stale value there too
    newcomer = TwoLevelCache(LocalCache(10), SharedCache(l2))
    assert newcomer.get_or_load(ROWS, "rows:a", lambda: Row("a", 2)) == Row("a", 2)


def test_a_process_never_goes_back_to_a_revision_older_than_one_it_has_served():
    cache = TwoLevelCache(LocalCache(10))
    cache.get_or_load(ROWS, "rows:a", lambda: Row("a", 3))
    cache.local.clear()  # evicted, or expired

    older = cache.get_or_load(ROWS, "rows:a", lambda: Row("a", 2))  # a lagging replica, say

    assert older == Row("a", 2)  # served (it is what the source says) but not kept
    assert cache.local.get("rows:a@0") is MISSING


def test_a_load_that_raced_an_invalidation_is_not_kept():
    cache = TwoLevelCache(LocalCache(10))

    def load() -> Row:
        cache.received({"policy": "rows", "keys": {"rows:a": 5}})  # the projection committed meanwhile
        return Row("a", 4)

    assert cache.get_or_load(ROWS, "rows:a", load) == Row("a", 4)
    assert cache.get_or_load(ROWS, "rows:a", lambda: Row("a", 5)) == Row("a", 5)


def test_forgetting_a_whole_policy_hides_its_entries_and_no_other():
    cache = TwoLevelCache(LocalCache(10))
    cache.get_or_load(PAGES, "pages:1", lambda: "page one")
    cache.get_or_load(ALWAYS, "always:1", lambda: "kept")

    cache.received({"policy": "pages", "all": True})

    assert cache.get_or_load(PAGES, "pages:1", lambda: "page one, again") == "page one, again"
    assert cache.get_or_load(ALWAYS, "always:1", lambda: "reloaded") == "kept"


def test_a_reconnected_broadcast_drops_l1_since_invalidations_may_have_been_missed():
    cache = TwoLevelCache(LocalCache(10))
    cache.get_or_load(ALWAYS, "always:1", lambda: "before")
    cache.reconnected()
    assert cache.get_or_load(ALWAYS, "always:1", lambda: "after") == "after"


def test_with_reads_off_switchable_policies_always_load_and_the_others_still_cache():
    cache = TwoLevelCache(LocalCache(10), reads_enabled=False)
    assert cache.get_or_load(SWITCHABLE, "switchable:1", lambda: "first") == "first"
    assert cache.get_or_load(SWITCHABLE, "switchable:1", lambda: "second") == "second"
    assert cache.get_or_load(ALWAYS, "always:1", lambda: "first") == "first"
    assert cache.get_or_load(ALWAYS, "always:1", lambda: "second") == "first"


def test_an_unreachable_l2_is_skipped_for_a_pause_and_l1_keeps_serving():
    clock = Clock()
    backend = BrokenBackend()
    cache = TwoLevelCache(LocalCache(10), SharedCache(backend, pause=5, clock=clock))

    assert cache.get_or_load(ROWS, "rows:a", lambda: Row("a", 1)) == Row("a", 1)
    assert backend.calls == 1  # the read failed; the write after the load was not even tried
    assert cache.get_or_load(ROWS, "rows:a", lambda: Row("a", 9)) == Row("a", 1)  # L1
    assert cache.get_or_load(ROWS, "rows:b", lambda: Row("b", 1)) == Row("b", 1)
    assert backend.calls == 1  # skipped during the pause

    clock.now += 5
    cache.get_or_load(ROWS, "rows:c", lambda: Row("c", 1))
    assert backend.calls == 2  # tried again after it


def test_pages_stay_in_this_process():
    l2 = shared("pages")
    cache = TwoLevelCache(LocalCache(10), SharedCache(l2))
    cache.get_or_load(PAGES, "pages:1", lambda: "page")
    assert l2.get("pages:1") is None


def test_a_load_that_straddles_an_invalidation_without_revision_is_served_but_not_kept():
    cache = TwoLevelCache(LocalCache(10))

    def load() -> str:
        cache.received({"policy": "always", "keys": {"always:1": None}})  # the account changed meanwhile
        return "loaded before the change"

    assert cache.get_or_load(ALWAYS, "always:1", load) == "loaded before the change"
    assert cache.get_or_load(ALWAYS, "always:1", lambda: "after the change") == "after the change"


def test_a_value_read_from_l2_lives_in_l1_only_as_long_as_it_has_left_in_l2():
    l2 = shared("expiry")
    SharedCache(l2).set_many({"always:1": (time.time() + 2, "nearly expired")}, 60)
    cache = TwoLevelCache(LocalCache(10), SharedCache(l2))

    assert cache.get_or_load(ALWAYS, "always:1", lambda: "loaded") == "nearly expired"
    assert 0 < cache.local._entries["always:1@0"][0] - time.monotonic() <= 2


def test_deletes_and_floors_are_tried_during_a_pause():
    clock = Clock()
    backend = BrokenBackend()
    cache = TwoLevelCache(LocalCache(10), SharedCache(backend, pause=5, clock=clock))
    cache.get_or_load(ROWS, "rows:a", lambda: Row("a", 1))  # fails once: the pause starts
    calls = backend.calls

    cache.invalidate(ROWS, {"rows:a": 2})

    assert backend.calls == calls + 2  # the delete and the floor, both tried (and failed) in the pause


def test_its_own_invalidations_coming_back_are_ignored_and_others_applied():
    cache = TwoLevelCache(LocalCache(10))
    cache.get_or_load(ALWAYS, "always:1", lambda: "kept")

    cache.received({"policy": "always", "keys": {"always:1": None}, "origin": cache.origin})
    assert cache.get_or_load(ALWAYS, "always:1", lambda: "reloaded") == "kept"

    cache.received({"policy": "always", "keys": {"always:1": None}, "origin": "another process"})
    assert cache.get_or_load(ALWAYS, "always:1", lambda: "reloaded") == "reloaded"
