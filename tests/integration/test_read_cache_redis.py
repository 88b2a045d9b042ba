"""The read cache on the real Redis, with two caches standing for two processes: L2 shared between them,
invalidations carried by pub/sub, and reads that go on when Redis cannot be reached."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django_redis.cache import RedisCache
from rest_framework.test import APIClient

from apps.cache.broadcast import RedisBroadcast
from apps.cache.local import MISSING, LocalCache
from apps.cache.setup import build
from apps.cache.shared import SharedCache
from apps.cache.two_level import TwoLevelCache
from apps.platform import caching
from apps.platform.caching import CachePolicy
from tests.support.events import deliver_events
from tests.support.http import account
from tests.support.outages import closed_port


@dataclass(frozen=True)
class Row:
    id: str
    revision: int


ROWS = CachePolicy("it-rows", ttl=60, revision=lambda row: row.revision)
PAGES = CachePolicy("it-pages", ttl=60, shared=False)


def process(channel: str, *, url: str | None = None, shared: SharedCache | None = None) -> TwoLevelCache:
    """One process's read cache: its own L1, the shared L2, and a listener on ``channel``."""
    cache = TwoLevelCache(LocalCache(100), shared or SharedCache(caches["reads"]))
    cache.broadcast = RedisBroadcast(
        url or settings.READ_CACHE["BROADCAST_URL"], channel, on_message=cache.received, on_connect=cache.reconnected
    )
    return cache


def eventually(condition: Callable[[], bool], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def two_processes() -> Iterator[tuple[TwoLevelCache, TwoLevelCache]]:
    channel = f"test-read-cache-{uuid.uuid4().hex}"
    web, consumer = process(channel), process(channel)
    for cache in (web, consumer):
        assert cache.broadcast is not None
        assert cache.broadcast.wait_connected(5)
    yield web, consumer
    for cache in (web, consumer):
        cache.broadcast.stop()  # type: ignore[union-attr]


def test_one_process_reads_what_another_loaded_from_l2(two_processes):
    web, consumer = two_processes
    key = ROWS.key(uuid.uuid4())
    consumer.get_or_load(ROWS, key, lambda: Row("a", 1))

    def never() -> Row:
        raise AssertionError("loaded again instead of reading L2")

    assert web.get_or_load(ROWS, key, never) == Row("a", 1)


def test_an_invalidation_reaches_the_other_process_and_nothing_older_is_served_there(two_processes):
    web, consumer = two_processes
    key = ROWS.key(uuid.uuid4())
    web.get_or_load(ROWS, key, lambda: Row("a", 1))

    consumer.invalidate(ROWS, {key: 2})  # what a projection does after writing revision 2

    assert eventually(lambda: web.floors.get(key) == 2)
    assert web.get_or_load(ROWS, key, lambda: Row("a", 2)) == Row("a", 2)
    # a read that raced the projection puts revision 1 back into L2: nobody serves it
    web.shared.set_many({key: (time.time() + 60, Row("a", 1))}, 60)  # type: ignore[union-attr]
    web.clear_local()
    assert web.get_or_load(ROWS, key, lambda: Row("a", 2)) == Row("a", 2)


def test_forgetting_a_whole_kind_reaches_the_other_process(two_processes):
    web, consumer = two_processes
    web.get_or_load(PAGES, "it-pages:1", lambda: "page one")

    consumer.invalidate_all(PAGES)

    assert eventually(lambda: web.get_or_load(PAGES, "it-pages:1", lambda: "page one, again") == "page one, again")


def test_with_redis_unreachable_reads_go_on_and_l1_keeps_serving():
    port = closed_port()
    unreachable = RedisCache(
        f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}}
    )
    cache = process("test-unreachable", url=f"redis://127.0.0.1:{port}/0", shared=SharedCache(unreachable))
    key = ROWS.key(uuid.uuid4())

    assert cache.get_or_load(ROWS, key, lambda: Row("a", 1)) == Row("a", 1)
    assert cache.get_or_load(ROWS, key, lambda: Row("a", 9)) == Row("a", 1)  # L1, within its TTL
    cache.invalidate(ROWS, {key: 2})  # L2 and the broadcast fail quietly; this process forgets it
    assert cache.get_or_load(ROWS, key, lambda: Row("a", 2)) == Row("a", 2)
    assert not cache.broadcast.connected.is_set()  # type: ignore[union-attr]
    cache.broadcast.stop()  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_reads_from_l1_with_redis_unreachable():
    api = APIClient()
    ann = account(api, "ann@example.com")
    placed = api.post(
        "/api/v2/orders",
        {"currency": "EUR", "items": [{"sku": "A-1", "quantity": 1, "unit_price": "5.00"}]},
        format="json",
        **ann["auth"],
    )
    deliver_events()
    url = f"/api/v2/orders/{placed.json()['id']}"
    unreachable = f"redis://127.0.0.1:{closed_port()}/0"
    reads = {**settings.CACHES["reads"], "LOCATION": unreachable}
    with override_settings(CACHES={**settings.CACHES, "reads": reads}):
        cache = build({**settings.READ_CACHE, "BROADCAST_URL": unreachable})
        previous = caching.install(cache)
        try:
            answers = [api.get(url, **ann["auth"]) for _ in range(3)]
        finally:
            caching.install(previous)
            cache.broadcast.stop()  # type: ignore[union-attr]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[0].content == answers[2].content
    assert cache.local.get(f"orders:v1:{placed.json()['id']}@0") is not MISSING  # served from L1 after the first
