"""Property 10: a function under ``@cached_query`` runs once per arguments within the TTL."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apps.platform.caching import CachePolicy, cached_query
from tests.properties.cache.strategies import own_read_cache, values

arguments = st.tuples(st.integers(), st.text(max_size=20), st.uuids())


# **Feature: architecture-restructuring-2025, Property 10: Cached Decorator Returns Cached Results**
# **Validates: Requirements 7.4**
@given(args=arguments, answer=values.filter(lambda value: value is not None), other=arguments)
def test_the_second_call_with_the_same_arguments_returns_the_same_result_without_running_it(
    args: tuple[Any, ...], answer: Any, other: tuple[Any, ...]
) -> None:
    """For any arguments, calling the decorated function twice gives the same result and runs it once;
    other arguments run it again."""
    calls: list[tuple[Any, ...]] = []

    @cached_query(CachePolicy("decorated", ttl=60))
    def lookup(number: int, text: str, ident: Any) -> Any:
        calls.append((number, text, ident))
        return answer

    with own_read_cache():
        first, second = lookup(*args), lookup(*args)
        assert first == second == answer
        assert calls == [args]
        if other != args:
            lookup(*other)
            assert calls == [args, other]
