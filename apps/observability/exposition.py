"""What the metrics read as a whole: the recorded metrics (this process's, or every process's) and the
sampled gauges; and a port of their own for processes that serve no HTTP.

The api serves them on ``GET /metrics`` (``views``). Processes that serve no
HTTP (a Celery worker, beat, the dispatcher, the consumers) serve their own
counters on ``METRICS_PORT`` when it is set, with prometheus-client's small
HTTP server: no token there, so it is for scraping inside the cluster only,
never to be exposed. The sampled gauges are the api's alone: one source, not one
series per process.

With ``PROMETHEUS_MULTIPROC_DIR`` set, both read the files every process of
the host writes there (``MultiProcessCollector``), so the api's ``/metrics``
shows the worker's, dispatcher's and consumers' counters too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator

import structlog
from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from apps.observability.sampling import SampledGaugesCollector

log = structlog.get_logger(__name__)

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

_sampled = SampledGaugesCollector()


def multiprocess_dir() -> str | None:
    """prometheus-client's directory of per-process files, when this process writes there."""
    return os.environ.get(MULTIPROC_DIR) or None


def recorded() -> Collector:
    """What the code paths recorded: every process's (files) with a multiprocess directory, else this one's."""
    directory = multiprocess_dir()
    if directory is None:
        return REGISTRY
    registry = CollectorRegistry(auto_describe=False)
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


class _Together(Collector):
    """Several collectors exposed as one."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = tuple(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def exposition(*, sampled: Collector | None = None) -> bytes:
    """The text format of the recorded metrics and the sampled gauges."""
    return generate_latest(_Together((recorded(), sampled or _sampled)))


# --- A port of its own -------------------------------------------------------------------------------

_served_on: int | None = None
_serving = threading.Lock()


class MetricsPortUnavailable(RuntimeError):
    """``METRICS_PORT`` cannot be listened on (taken by another process, or not allowed)."""


# Every interface: Prometheus scrapes the pod from inside the cluster (the port is never exposed beyond it).
def serve_on_port(port: int | None = None, *, addr: str = "0.0.0.0") -> int | None:  # nosec B104
    """Serve this process's metrics (every process's, with a multiprocess directory) on ``port``
    (``METRICS_PORT``), once per process, in a daemon thread. Returns the port, or None when none is
    configured; raises ``MetricsPortUnavailable`` when it cannot listen there."""
    global _served_on
    port = settings.METRICS_PORT if port is None else port
    if not port:
        return None
    with _serving:
        if _served_on is None:
            from prometheus_client import start_http_server

            try:
                start_http_server(port, addr=addr, registry=recorded())
            except OSError as exc:
                reason = exc.strerror or exc
                raise MetricsPortUnavailable(f"cannot serve metrics on METRICS_PORT {port}: {reason}") from exc
            _served_on = port
            log.info("serving metrics", port=port, multiprocess=multiprocess_dir() is not None)
    return _served_on


def mark_process_dead(pid: int) -> None:
    """Forget the live gauges of a process that exited (gunicorn's ``child_exit``, Celery's child shutdown)."""
    directory = multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(pid, directory)
