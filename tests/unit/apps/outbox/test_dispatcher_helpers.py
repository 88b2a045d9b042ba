"""The dispatcher's pure helpers: the retry backoff and which entries wait behind a failure."""

import random
import uuid
from datetime import timedelta

import pytest

from apps.outbox.dispatcher import BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS, _held_back, backoff
from apps.outbox.models import OutboxEntry


class EdgeOfJitter(random.Random):
    """A random source that always answers the lowest, or the highest, value asked for."""

    def __init__(self, highest: bool) -> None:
        super().__init__()
        self.highest = highest

    def uniform(self, a: float, b: float) -> float:
        return b if self.highest else a


def ceiling(attempts: int) -> float:
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))


@pytest.mark.parametrize("attempts", [1, 2, 3, 5, 8, 9, 10, 20])
def test_backoff_is_between_half_and_all_of_the_exponential_ceiling(attempts):
    low = backoff(attempts, rng=EdgeOfJitter(highest=False))
    high = backoff(attempts, rng=EdgeOfJitter(highest=True))

    assert low == timedelta(seconds=ceiling(attempts) / 2)
    assert high == timedelta(seconds=ceiling(attempts))
    for seed in range(50):
        assert low <= backoff(attempts, rng=random.Random(seed)) <= high


def test_backoff_doubles_from_the_base_until_the_cap():
    highs = [backoff(n, rng=EdgeOfJitter(highest=True)).total_seconds() for n in range(1, 13)]

    assert highs[:4] == [
        BACKOFF_BASE_SECONDS,
        2 * BACKOFF_BASE_SECONDS,
        4 * BACKOFF_BASE_SECONDS,
        8 * BACKOFF_BASE_SECONDS,
    ]
    assert highs == sorted(highs)
    assert highs[-1] == BACKOFF_CAP_SECONDS


@pytest.mark.parametrize("attempts", [64, 1025, 5000, 10**6])
def test_backoff_stays_capped_however_many_attempts(attempts):
    # An OUTBOX_MAX_ATTEMPTS in the thousands once made 2 ** attempts overflow a float.
    delay = backoff(attempts, rng=EdgeOfJitter(highest=True))

    assert delay == timedelta(seconds=BACKOFF_CAP_SECONDS)
    assert backoff(attempts) >= timedelta(seconds=BACKOFF_CAP_SECONDS / 2)


def test_backoff_is_jittered():
    delays = {backoff(4, rng=random.Random(seed)) for seed in range(20)}

    assert len(delays) > 1


A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


def batch(*streams: tuple[str, uuid.UUID]) -> list[OutboxEntry]:
    return [OutboxEntry(aggregate_type=kind, aggregate_id=aggregate) for kind, aggregate in streams]


def test_nothing_is_held_back_without_a_failure():
    entries = batch(("users.user", A), ("users.user", A), ("users.user", B))

    assert _held_back(entries, set()) == set()


def test_the_later_entries_of_a_failed_aggregate_wait_and_other_aggregates_do_not():
    entries = batch(
        ("users.user", A),  # 0
        ("users.user", B),  # 1: fails
        ("users.user", A),  # 2
        ("users.user", B),  # 3: waits for 1
        ("users.user", C),  # 4
        ("users.user", B),  # 5: waits for 1
    )

    assert _held_back(entries, {1}) == {3, 5}


def test_entries_before_the_failure_are_not_held_back():
    entries = batch(("users.user", A), ("users.user", A), ("users.user", A))

    assert _held_back(entries, {1}) == {2}
    assert _held_back(entries, {2}) == set()


def test_a_failure_behind_another_of_its_aggregate_is_held_back_too():
    entries = batch(("users.user", A), ("users.user", A), ("users.user", A))

    assert _held_back(entries, {0, 2}) == {1, 2}


def test_each_failed_aggregate_holds_back_only_its_own_stream():
    entries = batch(("users.user", A), ("users.user", B), ("users.user", A), ("users.user", B), ("users.user", C))

    assert _held_back(entries, {0, 1}) == {2, 3}


def test_the_stream_is_the_aggregate_type_and_id_together():
    entries = batch(("users.user", A), ("orders.order", A), ("users.user", A))

    assert _held_back(entries, {0}) == {2}
