"""The gauges read from the database and the broker: computed once per interval, whatever scrapes them.

Each mechanism registers a sampler (``register``) when its app is ready: a
function answering ``{gauge name: value}`` with a few cheap queries. A scrape of
``/metrics`` reads the last snapshot from Django's cache (Redis in the real
stack, so every api process shares it); the process that wins ``cache.add`` of
the lock key recomputes it, and the lock's expiry, ``METRICS_SAMPLE_SECONDS``,
is what makes that at most once per interval for the whole fleet, however many
processes are scraped and how often.

A failing sampler (database or broker down) never fails the scrape: its gauges
are left out of the snapshot, so they are absent rather than wrong until it
succeeds again, and ``orderflow_metrics_sample_errors_total`` counts the
failure. When the cache itself cannot be reached, each process samples on its
own, still at most once per interval, and keeps the snapshot in memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from apps.observability import metrics

log = structlog.get_logger(__name__)

SNAPSHOT_KEY = "metrics:sampled:snapshot"
LOCK_KEY = "metrics:sampled:lock"

Sampler = Callable[[], Mapping[str, float | None]]
"""Answers gauge values by name (``metrics.SampledGauge.name``); None leaves that gauge out."""

_samplers: dict[str, Sampler] = {}


def register(name: str, sampler: Sampler) -> None:
    """Add (or replace) the sampler ``name``; its failures are counted under that name."""
    _samplers[name] = sampler


def registered() -> dict[str, Sampler]:
    return dict(_samplers)


def sample(samplers: Mapping[str, Sampler]) -> dict[str, float]:
    """Run every sampler; a failing one is logged, counted and left out."""
    values: dict[str, float] = {}
    for name, sampler in samplers.items():
        try:
            answered = sampler()
        except Exception as exc:  # a dependency down must never fail the scrape
            metrics.METRICS_SAMPLE_ERRORS.labels(name).inc()
            log.warning("metrics sampler failed; its gauges are left out", sampler=name, error=repr(exc))
            continue
        values.update({gauge: float(value) for gauge, value in answered.items() if value is not None})
    values[metrics.SAMPLE_TIMESTAMP.name] = time.time()
    return values


class SampledGaugesCollector(Collector):
    """Yields the sampled gauges from the shared snapshot, recomputing it when this process wins the lock."""

    def __init__(self, samplers: Mapping[str, Sampler] | None = None, *, interval: float | None = None) -> None:
        self._samplers = samplers
        self._interval = interval
        # Used only while the cache cannot be reached.
        self._local: dict[str, float] | None = None
        self._local_until = 0.0
        self._local_lock = threading.Lock()

    @property
    def interval(self) -> float:
        return float(self._interval if self._interval is not None else settings.METRICS_SAMPLE_SECONDS)

    def snapshot(self) -> dict[str, float]:
        samplers = self._samplers if self._samplers is not None else _samplers
        interval = self.interval
        try:
            due = cache.add(LOCK_KEY, 1, timeout=interval)
            if not due:
                return dict(cache.get(SNAPSHOT_KEY) or {})
        except Exception as exc:  # Redis down: fall back to this process's own pace
            metrics.METRICS_SAMPLE_ERRORS.labels("cache").inc()
            log.warning("metrics snapshot cache unavailable; sampling in this process", error=repr(exc))
            return self._sample_locally(samplers, interval)
        values = sample(samplers)
        try:
            # Kept beyond the interval so that a lock holder that dies mid-sample leaves the last one readable.
            cache.set(SNAPSHOT_KEY, values, timeout=max(interval * 10, 60))
        except Exception as exc:
            metrics.METRICS_SAMPLE_ERRORS.labels("cache").inc()
            log.warning("metrics snapshot could not be shared", error=repr(exc))
        return values

    def _sample_locally(self, samplers: Mapping[str, Sampler], interval: float) -> dict[str, float]:
        with self._local_lock:
            if self._local is None or time.monotonic() >= self._local_until:
                self._local = sample(samplers)
                self._local_until = time.monotonic() + interval
            return dict(self._local)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        values = self.snapshot()
        for gauge in metrics.SAMPLED:
            if gauge.name in values:
                yield GaugeMetricFamily(gauge.name, gauge.help, value=values[gauge.name])

    def describe(self) -> Iterator[Any]:
        return iter(())  # nothing sampled at registration time
