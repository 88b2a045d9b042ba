"""The sampled gauges: computed once per interval for every process that shares the cache, never failing a scrape."""

import pytest
from django.core.cache import cache
from prometheus_client import REGISTRY

from apps.observability import metrics, sampling
from apps.observability.sampling import LOCK_KEY, SNAPSHOT_KEY, SampledGaugesCollector


@pytest.fixture(autouse=True)
def _no_snapshot():
    cache.delete_many([LOCK_KEY, SNAPSHOT_KEY])
    yield
    cache.delete_many([LOCK_KEY, SNAPSHOT_KEY])


class Counting:
    def __init__(self, values):
        self.values = values
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.values


def gauges(collector) -> dict[str, float]:
    return {family.name: family.samples[0].value for family in collector.collect()}


def errors(sampler: str) -> float:
    return REGISTRY.get_sample_value("orderflow_metrics_sample_errors_total", {"sampler": sampler}) or 0.0


def test_many_scrapes_by_many_processes_cost_one_sample_per_interval():
    outbox = Counting({metrics.OUTBOX_PENDING.name: 7, metrics.OUTBOX_DEAD.name: 1})
    # Two collectors stand for two api processes sharing the cache.
    first, second = (SampledGaugesCollector({"outbox": outbox}, interval=60) for _ in range(2))

    for _ in range(3):
        assert gauges(first)[metrics.OUTBOX_PENDING.name] == 7
        assert gauges(second)[metrics.OUTBOX_DEAD.name] == 1

    assert outbox.calls == 1


def test_once_the_interval_is_over_the_next_scrape_samples_again():
    outbox = Counting({metrics.OUTBOX_PENDING.name: 2})
    collector = SampledGaugesCollector({"outbox": outbox}, interval=60)
    gauges(collector)

    cache.delete(LOCK_KEY)  # what the lock's expiry does after METRICS_SAMPLE_SECONDS
    outbox.values = {metrics.OUTBOX_PENDING.name: 5}

    assert gauges(collector)[metrics.OUTBOX_PENDING.name] == 5
    assert outbox.calls == 2


def test_a_failing_sampler_leaves_its_gauges_out_and_is_counted_while_the_others_are_served():
    def broken():
        raise ConnectionError("database unreachable")

    before = errors("audit")
    collector = SampledGaugesCollector(
        {"audit": broken, "outbox": Counting({metrics.OUTBOX_PENDING.name: 3})}, interval=60
    )

    values = gauges(collector)

    assert values[metrics.OUTBOX_PENDING.name] == 3
    assert metrics.AUDIT_UNSEALED_OLDEST_AGE.name not in values
    assert metrics.SAMPLE_TIMESTAMP.name in values
    assert errors("audit") == before + 1


def test_a_gauge_a_sampler_answers_none_for_is_absent_not_zero():
    collector = SampledGaugesCollector({"dlq": Counting({metrics.DEAD_LETTER_QUEUE_MESSAGES.name: None})}, interval=60)

    assert metrics.DEAD_LETTER_QUEUE_MESSAGES.name not in gauges(collector)


def test_without_the_cache_each_process_samples_on_its_own_still_once_per_interval(monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "add", unreachable)
    outbox = Counting({metrics.OUTBOX_PENDING.name: 4})
    collector = SampledGaugesCollector({"outbox": outbox}, interval=60)
    before = errors("cache")

    assert gauges(collector)[metrics.OUTBOX_PENDING.name] == 4
    assert gauges(collector)[metrics.OUTBOX_PENDING.name] == 4

    assert outbox.calls == 1
    assert errors("cache") == before + 2


def test_every_mechanism_registers_its_sampler_when_django_starts():
    assert set(sampling.registered()) >= {"outbox", "dead_letters", "dead_letter_queue", "audit"}


def test_every_sampled_gauge_is_a_metric_of_orderflow_with_help():
    names = [gauge.name for gauge in metrics.SAMPLED]
    assert len(names) == len(set(names))
    for gauge in metrics.SAMPLED:
        assert gauge.name.startswith("orderflow_")
        assert gauge.help
