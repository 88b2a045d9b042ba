"""Values a cache must give back equal: whatever JSON or pickle carries (no NaN, which equals nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import strategies as st

from apps.cache.local import LocalCache
from apps.cache.two_level import TwoLevelCache
from apps.platform import caching

#: Keys as the policies make them: printable, no spaces (what every cache backend takes).
keys = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary()
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=10), children, max_size=5)
        | st.tuples(children, children)
    ),
    max_leaves=20,
)


@contextmanager
def own_read_cache() -> Iterator[TwoLevelCache]:
    """A read cache of its own (L1 only) installed as this process's for the block, the previous one put back."""
    cache = TwoLevelCache(LocalCache(1000))
    previous = caching.install(cache)
    try:
        yield cache
    finally:
        caching.install(previous)
