"""With PROMETHEUS_MULTIPROC_DIR, what several processes record is seen as one: in /metrics and on METRICS_PORT."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.observability import exposition
from config import gunicorn

ROOT = Path(__file__).resolve().parents[4]


def run_process(directory: Path, code: str) -> int:
    """Run ``code`` in a new Python process writing its metrics to ``directory``; returns its pid."""
    script = "import os\nfrom apps.observability import metrics\n" + textwrap.dedent(code) + "\nprint(os.getpid())\n"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return int(done.stdout.strip())


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


class NoSampledGauges:
    def collect(self):
        return iter(())


@pytest.fixture
def multiproc_dir(tmp_path, monkeypatch):
    directory = tmp_path / "metrics"
    directory.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    return directory


def test_the_counters_of_two_processes_are_added_up(multiproc_dir):
    run_process(
        multiproc_dir, 'metrics.OUTBOX_PUBLISHED.inc(2)\nmetrics.CONSUMER_EVENTS.labels("orders_read", "handled").inc()'
    )
    run_process(
        multiproc_dir,
        'metrics.OUTBOX_PUBLISHED.inc(3)\nmetrics.CONSUMER_EVENTS.labels("orders_read", "handled").inc(4)',
    )

    found = samples(exposition.exposition(sampled=NoSampledGauges()).decode())

    assert found[("orderflow_outbox_published_total", frozenset())] == 5
    assert (
        found[("orderflow_consumer_events_total", frozenset({("consumer", "orders_read"), ("outcome", "handled")}))]
        == 5
    )


def test_the_audit_gauges_show_the_latest_verification_of_any_process_after_it_exited(multiproc_dir):
    first = run_process(multiproc_dir, "metrics.AUDIT_CHAIN_INTACT.set(0)\nmetrics.AUDIT_CHAIN_VERIFIED.set(1000)")
    second = run_process(multiproc_dir, "metrics.AUDIT_CHAIN_INTACT.set(1)\nmetrics.AUDIT_CHAIN_VERIFIED.set(2000)")
    for pid in (first, second):
        exposition.mark_process_dead(pid)

    found = samples(exposition.exposition(sampled=NoSampledGauges()).decode())

    assert found[("orderflow_audit_chain_intact", frozenset())] == 1
    assert found[("orderflow_audit_chain_verified_timestamp_seconds", frozenset())] == 2000


def test_without_a_multiprocess_directory_the_process_shows_its_own(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    from prometheus_client import REGISTRY

    assert exposition.recorded() is REGISTRY


def test_gunicorn_empties_the_directory_at_start_and_forgets_an_exited_workers_live_gauges(tmp_path, monkeypatch):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_41.db").write_bytes(b"left over from an earlier run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))

    gunicorn.on_starting(server=None)
    assert list(directory.iterdir()) == []

    (directory / "gauge_livesum_42.db").write_bytes(b"")
    (directory / "counter_42.db").write_bytes(b"")
    gunicorn.child_exit(server=None, worker=SimpleNamespace(pid=42))

    assert sorted(path.name for path in directory.iterdir()) == ["counter_42.db"]


def test_a_process_started_before_the_directory_exists_creates_it(tmp_path):
    directory = tmp_path / "not-yet"
    run_process(directory, "metrics.OUTBOX_PUBLISHED.inc()")

    assert any(directory.glob("counter_*.db"))


def test_a_process_that_never_verified_the_audit_chain_exports_no_verdict_and_one_that_did_does():
    """prometheus-client shows a gauge nobody set as 0, which would read as a broken chain."""
    script = textwrap.dedent(
        """
        from prometheus_client import REGISTRY, generate_latest
        from apps.observability import metrics
        before = generate_latest(REGISTRY).decode()
        metrics.record_audit_verification(intact=True)
        after = generate_latest(REGISTRY).decode()
        print("intact" in before, "orderflow_audit_chain_intact 1.0" in after)
        """
    )
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["False", "True"]
