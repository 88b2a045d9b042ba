"""Prometheus itself scrapes a live orderflow: the bearer token, the text format and the sampled gauges as a real
server reads them.

Debian's ``prometheus`` server binary (``apt-get install prometheus``) runs with a configuration and storage of
its own, on a free local port, scraping the test's live server every second; the test reads back
``orderflow_outbox_pending`` through Prometheus's HTTP API. Without the binary the test is skipped, except with
``CI=true``, where it fails: the pipeline must have it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.observability import sampling
from apps.outbox.models import OutboxEntry
from tests.support.ci import skip_unless_ci

PROMETHEUS = os.environ.get("PROMETHEUS_BINARY") or shutil.which("prometheus") or "/usr/bin/prometheus"
TOKEN = "integration-metrics-token-0123456789"
#: How long Prometheus may take to start, scrape and answer; the test normally passes within a few seconds.
PATIENCE_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def prometheus_binary() -> str:
    if not (os.path.isfile(PROMETHEUS) and os.access(PROMETHEUS, os.X_OK)):
        skip_unless_ci(f"the Prometheus server binary is not installed at {PROMETHEUS} (apt-get install prometheus)")
    return PROMETHEUS


@pytest.fixture
def metrics_settings(settings) -> Iterator[None]:
    settings.METRICS_TOKEN = TOKEN
    cache.delete_many([sampling.LOCK_KEY, sampling.SNAPSHOT_KEY])  # no snapshot of an earlier test
    yield
    cache.delete_many([sampling.LOCK_KEY, sampling.SNAPSHOT_KEY])


class Prometheus:
    """One Prometheus server process of this test's own, stopped when the test ends."""

    def __init__(self, binary: str, workdir: Path, target: str) -> None:
        self.port = free_port()
        config = workdir / "prometheus.yml"
        config.write_text(
            json.dumps(  # JSON is YAML
                {
                    "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
                    "scrape_configs": [
                        {
                            "job_name": "orderflow",
                            "metrics_path": "/metrics",
                            "authorization": {"type": "Bearer", "credentials": TOKEN},
                            "static_configs": [{"targets": [target]}],
                        }
                    ],
                }
            )
        )
        self.log = workdir / "prometheus.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def api(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=5) as response:  # a local server this test started
            return json.loads(response.read())

    def query(self, expression: str) -> list[dict[str, Any]]:
        """The instant vector of ``expression`` now (empty until the server has scraped something)."""
        try:
            return list(self.api("query", query=expression)["data"]["result"])
        except OSError:  # not listening yet
            return []

    def explain(self) -> str:
        try:
            targets = json.dumps(self.api("targets")["data"]["activeTargets"], indent=1)
        except OSError as exc:
            targets = f"(no answer: {exc})"
        return f"targets: {targets}\nlog:\n{self.log.read_text()[-3000:]}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


@pytest.fixture
def prometheus(prometheus_binary, live_server, metrics_settings, tmp_path) -> Iterator[Prometheus]:
    target = urllib.parse.urlsplit(live_server.url).netloc
    server = Prometheus(prometheus_binary, tmp_path, target)
    yield server
    server.stop()


def pending_entry() -> OutboxEntry:
    return OutboxEntry.objects.create(
        aggregate_type="test.thing",
        aggregate_id=uuid.uuid4(),
        aggregate_version=1,
        event_type="test.thing_happened",
        payload={},
        occurred_at=timezone.now(),
    )


@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_the_outbox_backlog_with_the_bearer_token(prometheus_binary, live_server, request):
    created = [pending_entry() for _ in range(3)]
    pending = OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING).count()
    assert pending == len(created)
    server = request.getfixturevalue("prometheus")

    deadline = time.monotonic() + PATIENCE_SECONDS
    result = server.query("orderflow_outbox_pending")
    while not result and time.monotonic() < deadline and server.process.poll() is None:
        time.sleep(0.5)
        result = server.query("orderflow_outbox_pending")

    assert result, f"Prometheus never stored orderflow_outbox_pending\n{server.explain()}"
    (series,) = result
    assert series["metric"]["job"] == "orderflow"
    assert float(series["value"][1]) == pending
    (up,) = server.query('up{job="orderflow"}')
    assert up["value"][1] == "1"
