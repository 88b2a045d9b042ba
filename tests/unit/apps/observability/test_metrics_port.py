"""METRICS_PORT: a process that serves no HTTP serves its metrics (every process's, with a multiprocess
directory) on a port of its own; a port it cannot listen on is a clear error."""

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[4]

SERVE = """
import sys
import django
django.setup()
from apps.observability import exposition, metrics
metrics.OUTBOX_PUBLISHED.inc(7)
try:
    exposition.serve_on_port()
except exposition.MetricsPortUnavailable as exc:
    print(exc, flush=True)
    sys.exit(3)
print("serving", flush=True)
sys.stdin.read()  # until the test closes stdin
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(port: int, **env: str) -> subprocess.Popen:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "METRICS_PORT": str(port), **env}
    if "PROMETHEUS_MULTIPROC_DIR" not in env:
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return subprocess.Popen(
        [sys.executable, "-c", SERVE],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def published(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == "orderflow_outbox_published"]
    return family.samples[0].value


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.stdin.close()
            process.wait(timeout=30)


def test_the_port_serves_the_processs_metrics_and_a_second_process_cannot_take_it(processes):
    port = free_port()
    serving = start(port)
    processes.append(serving)
    assert serving.stdout.readline().strip() == "serving"

    assert published(port) == 7

    taken = start(port)
    processes.append(taken)
    assert taken.wait(timeout=120) == 3
    assert f"cannot serve metrics on METRICS_PORT {port}" in taken.stdout.read()


def test_with_a_multiprocess_directory_the_port_adds_up_every_process(processes, tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    other = start(0, PROMETHEUS_MULTIPROC_DIR=str(directory))  # METRICS_PORT=0: records, serves nothing
    processes.append(other)
    assert other.stdout.readline().strip() == "serving"
    port = free_port()
    serving = start(port, PROMETHEUS_MULTIPROC_DIR=str(directory))
    processes.append(serving)
    assert serving.stdout.readline().strip() == "serving"

    assert published(port) == 14
