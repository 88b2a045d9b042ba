"""Property 8: a full LRU cache drops its least recently used entry, and only that one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from apps.cache.local import MISSING, LocalCache


# **Feature: architecture-restructuring-2025, Property 8: LRU Cache Eviction Behavior**
# **Validates: Requirements 7.1**
@given(size=st.integers(min_value=1, max_value=50), data=st.data())
def test_inserting_one_more_than_max_size_evicts_the_least_recently_used(size: int, data: st.DataObject) -> None:
    """For any LRU cache with max_size N, after N+1 distinct inserts (with reads in between that make
    some key the least recently used), exactly that key is gone and every other is still there."""
    cache = LocalCache(size)
    keys = [f"k{n}" for n in range(size)]
    for key in keys:
        cache.set(key, key.upper())
    touched = data.draw(st.lists(st.sampled_from(keys), max_size=2 * size))
    for key in touched:
        cache.get(key)
    order = [key for key in keys if key not in touched] + list(dict.fromkeys(reversed(touched)))[::-1]
    least_recent = order[0]

    cache.set("newcomer", "NEW")

    assert cache.get(least_recent) is MISSING
    assert cache.get("newcomer") == "NEW"
    assert len(cache) == size
    for key in keys:
        if key != least_recent:
            assert cache.get(key) == key.upper()
