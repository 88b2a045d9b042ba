"""The read cache this process uses, built from ``settings.READ_CACHE``."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches

from apps.cache.broadcast import RedisBroadcast
from apps.cache.local import LocalCache
from apps.cache.shared import SharedCache
from apps.cache.two_level import TwoLevelCache
from apps.platform import caching


def build(config: dict) -> TwoLevelCache:
    """L1 always; L2 and the broadcast when ``SHARED_ALIAS`` names a cache on Redis (``REDIS_URL``)."""
    alias = config.get("SHARED_ALIAS")
    cache = TwoLevelCache(
        LocalCache(config["MAX_ENTRIES"]),
        SharedCache(caches[alias]) if alias else None,
        reads_enabled=config["ENABLED"],
    )
    if alias and config.get("BROADCAST_URL"):
        cache.broadcast = RedisBroadcast(
            config["BROADCAST_URL"],
            config["CHANNEL"],
            on_message=cache.received,
            on_connect=cache.reconnected,
        )
    return cache


def install_from_settings() -> TwoLevelCache:
    cache = build(settings.READ_CACHE)
    caching.install(cache)
    return cache
