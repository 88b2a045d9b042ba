"""Property 5: a query type cached on the QueryBus is answered from the cache the second time."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from apps.platform.caching import CachePolicy, CachingMiddleware
from domain.kernel.bus import QueryBus
from domain.kernel.messages import Query
from domain.kernel.result import Err, Ok, Result
from tests.properties.cache.strategies import own_read_cache


@dataclass(frozen=True)
class FindParcel(Query):
    parcel: int
    carrier: str


@dataclass(frozen=True)
class CountParcels(Query):
    carrier: str


queries = st.builds(FindParcel, parcel=st.integers(), carrier=st.text(max_size=10))


def bus_counting_calls(calls: list[Query], *, failing: bool = False) -> QueryBus:
    bus = QueryBus()
    bus.add_middleware(CachingMiddleware({FindParcel: CachePolicy("parcels", ttl=60)}))

    def find(query: FindParcel) -> Result[str, Exception]:
        calls.append(query)
        return Err(LookupError("no such parcel")) if failing else Ok(f"{query.carrier}#{query.parcel}")

    def count(query: CountParcels) -> Result[int, Exception]:
        calls.append(query)
        return Ok(len(calls))

    bus.register(FindParcel, find)
    bus.register(CountParcels, count)
    return bus


# **Feature: architecture-restructuring-2025, Property 5: QueryBus Dispatches with Caching**
# **Validates: Requirements 3.2, 3.4**
@given(query=queries)
def test_an_equal_query_within_the_ttl_is_answered_without_the_handler(query: FindParcel) -> None:
    """For any query of a cached type, a second dispatch of an equal query returns the first result and
    does not run the handler again."""
    calls: list[Query] = []
    bus = bus_counting_calls(calls)

    with own_read_cache():
        first = bus.dispatch(query)
        second = bus.dispatch(FindParcel(parcel=query.parcel, carrier=query.carrier))

    assert first == second == Ok(f"{query.carrier}#{query.parcel}")
    assert calls == [query]


# **Feature: architecture-restructuring-2025, Property 5: QueryBus Dispatches with Caching**
# **Validates: Requirements 3.2, 3.4**
@given(query=queries, carrier=st.text(max_size=10))
def test_failures_and_uncached_query_types_always_reach_their_handler(query: FindParcel, carrier: str) -> None:
    """An Err is never cached, and a query type without a policy runs its handler every time."""
    calls: list[Query] = []
    with own_read_cache():
        failing = bus_counting_calls(calls, failing=True)
        assert isinstance(failing.dispatch(query), Err)
        assert isinstance(failing.dispatch(query), Err)
        assert calls == [query, query]

        calls.clear()
        plain = bus_counting_calls(calls)
        assert plain.dispatch(CountParcels(carrier)) == Ok(1)
        assert plain.dispatch(CountParcels(carrier)) == Ok(2)
