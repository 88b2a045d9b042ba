from __future__ import annotations

import threading

import pytest

from apps.cache.local import MISSING, LocalCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_gone_once_its_ttl_has_passed():
    clock = Clock()
    cache = LocalCache(10, default_ttl=30, clock=clock)
    cache.set("default", 1)
    cache.set("short", 2, ttl=5)

    clock.now = 4.9
    assert (cache.get("default"), cache.get("short")) == (1, 2)
    clock.now = 5
    assert cache.get("short") is MISSING
    clock.now = 30
    assert cache.get("default") is MISSING
    assert len(cache) == 0


def test_none_is_a_value_and_a_default_is_answered_for_a_missing_key():
    cache = LocalCache(2)
    cache.set("nothing", None)
    assert cache.get("nothing") is None
    assert cache.get("absent", "fallback") == "fallback"
    assert "nothing" in cache
    assert "absent" not in cache


def test_setting_a_key_again_makes_it_the_most_recent():
    cache = LocalCache(2)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.set("a", 3)
    cache.set("c", 4)
    assert cache.get("b") is MISSING
    assert (cache.get("a"), cache.get("c")) == (3, 4)


def test_threads_never_push_it_past_its_size():
    cache = LocalCache(50)

    def fill(offset: int) -> None:
        for n in range(2000):
            cache.set(f"{offset}-{n}", n)
            cache.get(f"{offset}-{n // 2}")

    threads = [threading.Thread(target=fill, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50


def test_a_size_below_one_is_refused():
    with pytest.raises(ValueError, match="max_size"):
        LocalCache(0)
