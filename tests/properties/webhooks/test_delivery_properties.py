"""Properties of the retry schedule, the webhook-id and the delivery state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from domain.kernel.result import Err, Ok
from domain.webhooks.delivery import (
    AttemptOutcome,
    AttemptResult,
    Delivery,
    DeliveryStatus,
    RetrySchedule,
    TransportError,
    delivery_id,
    delivery_id_from_webhook_id,
    webhook_id,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

fractions = st.floats(min_value=0, max_value=1, exclude_max=True)
delays = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=2))
schedules = st.builds(
    RetrySchedule,
    delays=st.lists(delays, min_size=1, max_size=8).map(lambda items: tuple(sorted(items))),
    jitter=st.floats(min_value=0, max_value=0.9),
)
outcomes = st.one_of(
    st.sampled_from([200, 204, 301, 400, 404, 410, 429, 500, 502, 503]).map(AttemptOutcome.from_status),
    st.sampled_from(list(TransportError)).map(AttemptOutcome.from_error),
)


# **Feature: outbound-webhooks, Property 1: Retry Delays Stay Within Their Jitter Bounds**
# **Validates: Issue 16, Retries**
@given(schedules, st.data())
def test_every_delay_stays_within_its_jitter_bounds_and_the_base_delays_never_decrease(
    schedule: RetrySchedule, data: st.DataObject
) -> None:
    """For any valid schedule, attempt number and random fraction, the jittered delay lies within
    [delay x (1 - jitter), delay x (1 + jitter)] (to the microsecond) and the delays before jitter
    never decrease."""
    attempt_number = data.draw(st.integers(min_value=1, max_value=len(schedule.delays)))
    base = schedule.delays[attempt_number - 1]

    waited = schedule.delay(attempt_number, data.draw(fractions))

    assert base * (1 - schedule.jitter) - MICROSECOND <= waited <= base * (1 + schedule.jitter)
    assert list(schedule.delays) == sorted(schedule.delays)


# **Feature: outbound-webhooks, Property 1: Retry Delays Stay Within Their Jitter Bounds**
# **Validates: Issue 16, Retries**
@given(st.lists(fractions, min_size=12, max_size=12))
def test_the_default_schedule_spans_about_three_days_whatever_the_jitter(draws: list[float]) -> None:
    """For any random fractions, the default schedule's base total is between 2.5 and 3.5 days, and
    the jittered waits add up to within 20 % of it."""
    schedule = RetrySchedule()
    jittered = sum((schedule.delay(n, f) for n, f in enumerate(draws, start=1)), timedelta(0))

    assert timedelta(days=2.5) <= schedule.total <= timedelta(days=3.5)
    assert schedule.total * 0.8 - 12 * MICROSECOND <= jittered <= schedule.total * 1.2


# **Feature: outbound-webhooks, Property 5: Webhook-Id Stability**
# **Validates: Issue 16, Delivery**
@given(st.uuids(), st.uuids(), st.uuids(), st.uuids())
def test_the_webhook_id_is_stable_for_a_pair_and_differs_between_pairs(
    endpoint_a: UUID, event_a: UUID, endpoint_b: UUID, event_b: UUID
) -> None:
    """For any two (endpoint, event) pairs, their webhook-ids are equal exactly when the pairs are,
    and a webhook-id always reads back to its delivery id."""
    first = webhook_id(delivery_id(endpoint_a, event_a))

    assert first == webhook_id(delivery_id(endpoint_a, event_a))
    assert (first == webhook_id(delivery_id(endpoint_b, event_b))) == ((endpoint_a, event_a) == (endpoint_b, event_b))
    assert delivery_id_from_webhook_id(first) == delivery_id(endpoint_a, event_a)


REDELIVER = "redeliver"
steps = st.one_of(
    st.tuples(
        outcomes, fractions, st.none() | st.timedeltas(min_value=timedelta(days=-1), max_value=timedelta(days=60))
    ),
    st.just(REDELIVER),
)


# **Feature: outbound-webhooks, Property 6: A Delivery Stops When It Gives Up**
# **Validates: Issue 16, Retries**
@given(schedules, st.lists(steps, max_size=40))
def test_a_delivery_never_schedules_after_giving_up_nor_outruns_its_schedule(
    schedule: RetrySchedule, history: list
) -> None:
    """For any schedule and any sequence of attempt outcomes (with redeliveries among them), a
    delivery makes at most ``max_attempts`` attempts per round, has a next attempt exactly while it
    is pending, always later than the failed attempt and no later than the longest jittered wait,
    and an attempt reported after it finished changes nothing."""
    delivery = Delivery.create(
        endpoint_id=UUID(int=1), event_id=UUID(int=2), event_type="orders.order_placed", occurred_at=T0, now=T0
    )
    longest = max(schedule.delays) * (1 + schedule.jitter)
    now = T0
    for step in history:
        now += timedelta(seconds=1)
        if step == REDELIVER:
            delivery.redeliver(now=now)
            continue
        outcome, fraction, retry_after = step
        before = (delivery.status, delivery.attempts, delivery.next_attempt_at)

        result = delivery.record_attempt(
            outcome=outcome, now=now, schedule=schedule, random_fraction=fraction, retry_after=retry_after
        )

        if before[0] is not DeliveryStatus.PENDING:
            assert isinstance(result, Err)
            assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == before
            continue
        assert isinstance(result, Ok)
        assert 1 <= delivery.attempts_this_round <= schedule.max_attempts
        if result.value is AttemptResult.RETRYING:
            assert delivery.status is DeliveryStatus.PENDING
            assert delivery.next_attempt_at is not None
            assert now < delivery.next_attempt_at <= now + max(longest, schedule.retry_after_cap)
            assert delivery.attempts_this_round < schedule.max_attempts
        else:
            assert delivery.status.is_final
            assert delivery.next_attempt_at is None
        if result.value is AttemptResult.GAVE_UP:
            assert delivery.attempts_this_round == schedule.max_attempts
