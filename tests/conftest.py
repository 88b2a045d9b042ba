import os
import time
from collections.abc import Iterator
from types import SimpleNamespace
from unittest import mock

import pytest
from hypothesis import HealthCheck, Phase, settings
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

settings.register_profile(
    "ci",
    max_examples=100,
    phases=[Phase.generate, Phase.target, Phase.shrink],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _fresh_read_cache():
    """Every test starts with an empty read cache in this process (the database is new for each test)."""
    from apps.platform.caching import read_cache

    cache = read_cache()
    broadcast = getattr(cache, "broadcast", None)
    if broadcast is not None:  # connecting drops L1: let it happen before the test, not during it
        broadcast.wait_connected(5)
    forget = getattr(cache, "clear_local", None)
    if forget is not None:
        forget()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for the test, its spans kept in memory, then off again."""
    from apps.observability import tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.uninstall()
        provider.shutdown()


@pytest.fixture
def rate_limit_window() -> Iterator[SimpleNamespace]:
    """Rate-limit counters start from zero and django-ratelimit's clock stands still, so all of a test's requests
    fall in one window: a window can end at any second (django-ratelimit staggers the ends by key), and one ending
    between two requests would reset the count. A test moves on by setting ``now``."""
    from django.core.cache import cache

    clock = SimpleNamespace(now=time.time())
    clock.time = lambda: clock.now
    cache.clear()
    with mock.patch("django_ratelimit.core.time", clock):
        yield clock
    cache.clear()
