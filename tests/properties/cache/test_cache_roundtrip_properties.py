"""Property 9: what is stored under a key comes back equal before its TTL, from L1 and from L2."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from hypothesis import given

from apps.cache.local import LocalCache
from apps.cache.shared import SharedCache
from apps.cache.two_level import TwoLevelCache
from apps.platform.caching import CachePolicy
from tests.properties.cache.strategies import keys, values

POLICY = CachePolicy("roundtrip", ttl=60)


# **Feature: architecture-restructuring-2025, Property 9: Cache Get/Set Round-Trip**
# **Validates: Requirements 7.2**
@given(key=keys, value=values)
def test_a_value_set_in_memory_is_got_back_equal_before_its_ttl(key: str, value: Any) -> None:
    """For any value and key, LocalCache.get after LocalCache.set (TTL not reached) equals the value."""
    cache = LocalCache(10, default_ttl=60)
    cache.set(key, value)
    assert cache.get(key) == value


# **Feature: architecture-restructuring-2025, Property 9: Cache Get/Set Round-Trip**
# **Validates: Requirements 7.2**
@given(key=keys, value=values)
def test_a_value_kept_in_the_shared_cache_is_got_back_equal_by_another_process(key: str, value: Any) -> None:
    """For any value, a second process (its own L1, the same L2, serialized as Redis keeps it) reads it back
    equal without loading it again."""
    if value is None:  # None is "not found" to a loader and never kept
        return
    shared = LocMemCache(f"roundtrip-{id(value)}", {})
    writer = TwoLevelCache(LocalCache(10), SharedCache(shared))
    reader = TwoLevelCache(LocalCache(10), SharedCache(shared))
    writer.get_or_load(POLICY, POLICY.key(key), lambda: value)

    def load_again() -> Any:
        raise AssertionError("the second process loaded the value instead of reading L2")

    assert reader.get_or_load(POLICY, POLICY.key(key), load_again) == value
    shared.clear()
