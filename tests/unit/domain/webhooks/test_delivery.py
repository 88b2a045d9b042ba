"""The retry schedule, how an attempt's outcome is classified, and the life of a delivery."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.kernel.errors import InvalidValueError
from domain.kernel.result import Err, Ok
from domain.webhooks.delivery import (
    AttemptOutcome,
    AttemptResult,
    Delivery,
    DeliveryStatus,
    OutcomeKind,
    RetrySchedule,
    TransportError,
    delivery_id,
    delivery_id_from_webhook_id,
    webhook_id,
)
from domain.webhooks.errors import DeliveryNotPendingError, DeliveryPendingError

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ENDPOINT_ID = UUID("aaaaaaaa-0000-4000-8000-000000000001")
EVENT_ID = UUID("eeeeeeee-0000-4000-8000-000000000001")
SCHEDULE = RetrySchedule()
MIDDLE = 0.5  # the random fraction that applies no jitter
OK = AttemptOutcome.from_status(200)
SERVER_ERROR = AttemptOutcome.from_status(500)


def new_delivery() -> Delivery:
    return Delivery.create(
        endpoint_id=ENDPOINT_ID, event_id=EVENT_ID, event_type="orders.order_placed", occurred_at=T0, now=T0
    )


def attempt(delivery: Delivery, outcome: AttemptOutcome, now: datetime, **kwargs):
    return delivery.record_attempt(
        outcome=outcome, now=now, schedule=kwargs.pop("schedule", SCHEDULE), random_fraction=MIDDLE, **kwargs
    )


# -- the schedule


def test_the_default_schedule_is_the_documented_one_of_about_three_days():
    hours = timedelta(hours=1)
    documented = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), 2 * hours, 5 * hours)
    assert SCHEDULE.delays == (*documented, *(10 * hours,) * 7)
    assert SCHEDULE.total == timedelta(hours=77, minutes=35, seconds=5)
    assert SCHEDULE.max_attempts == 13
    assert SCHEDULE.jitter == 0.2
    assert SCHEDULE.retry_after_cap == 10 * hours


@pytest.mark.parametrize(("fraction", "factor"), [(0.0, 0.8), (0.25, 0.9), (0.5, 1.0), (0.75, 1.1)])
def test_jitter_scales_a_delay_by_up_to_twenty_percent_either_way(fraction, factor):
    assert SCHEDULE.delay(4, fraction) == timedelta(hours=2) * factor


def test_the_largest_fraction_stays_below_the_upper_bound():
    assert SCHEDULE.delay(1, 0.999999) < timedelta(seconds=6)


@pytest.mark.parametrize("attempt_number", [0, 13, -1, True])
def test_a_delay_is_for_attempts_1_to_the_number_of_delays(attempt_number):
    with pytest.raises(InvalidValueError) as raised:
        SCHEDULE.delay(attempt_number, MIDDLE)
    assert raised.value.field == "attempt_number"


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5, float("nan"), True, "0.5"])
def test_a_random_fraction_is_in_0_1(fraction):
    with pytest.raises(InvalidValueError) as raised:
        SCHEDULE.delay(1, fraction)
    assert raised.value.field == "random_fraction"


def test_the_next_attempt_follows_the_delay_of_the_attempt_that_failed():
    assert SCHEDULE.next_attempt_at(T0, 1, MIDDLE) == T0 + timedelta(seconds=5)
    assert SCHEDULE.next_attempt_at(T0, 12, MIDDLE) == T0 + timedelta(hours=10)
    assert SCHEDULE.next_attempt_at(T0, 13, MIDDLE) is None
    with pytest.raises(InvalidValueError):
        SCHEDULE.next_attempt_at(T0, 0, MIDDLE)
    with pytest.raises(InvalidValueError):
        SCHEDULE.next_attempt_at(T0, 13, 2.0)


def test_retry_after_lengthens_a_wait_but_never_shortens_it():
    assert SCHEDULE.next_attempt_at(T0, 1, MIDDLE, timedelta(minutes=2)) == T0 + timedelta(minutes=2)
    assert SCHEDULE.next_attempt_at(T0, 5, MIDDLE, timedelta(minutes=2)) == T0 + timedelta(hours=5)
    assert SCHEDULE.next_attempt_at(T0, 1, MIDDLE, timedelta(seconds=-30)) == T0 + timedelta(seconds=5)


def test_retry_after_counts_for_at_most_the_cap():
    assert SCHEDULE.next_attempt_at(T0, 1, MIDDLE, timedelta(days=30)) == T0 + timedelta(hours=10)
    capped = RetrySchedule(max_retry_after=timedelta(hours=1))
    assert capped.next_attempt_at(T0, 1, MIDDLE, timedelta(days=30)) == T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"delays": ()}, "delays"),
        ({"delays": (timedelta(0),)}, "delays"),
        ({"delays": (timedelta(minutes=5), timedelta(minutes=1))}, "delays"),
        ({"jitter": -0.1}, "jitter"),
        ({"jitter": 1.0}, "jitter"),
        ({"jitter": True}, "jitter"),
        ({"max_retry_after": timedelta(seconds=-1)}, "max_retry_after"),
    ],
)
def test_a_schedule_that_could_misbehave_is_refused(kwargs, field):
    with pytest.raises(InvalidValueError) as raised:
        RetrySchedule(**kwargs)
    assert raised.value.field == field


def test_a_schedule_without_jitter_waits_exactly_its_delays():
    flat = RetrySchedule(delays=(timedelta(seconds=1), timedelta(seconds=1)), jitter=0)
    assert flat.delay(2, 0.0) == flat.delay(2, 0.99) == timedelta(seconds=1)


# -- outcomes


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, OutcomeKind.SUCCEEDED),
        (204, OutcomeKind.SUCCEEDED),
        (299, OutcomeKind.SUCCEEDED),
        (410, OutcomeKind.GONE),
        (429, OutcomeKind.THROTTLED),
        (503, OutcomeKind.THROTTLED),
        (101, OutcomeKind.FAILED),
        (301, OutcomeKind.FAILED),
        (400, OutcomeKind.FAILED),
        (404, OutcomeKind.FAILED),
        (500, OutcomeKind.FAILED),
        (502, OutcomeKind.FAILED),
    ],
)
def test_a_status_is_classified_success_gone_throttled_or_failed(status, kind):
    assert AttemptOutcome.from_status(status).kind is kind


@pytest.mark.parametrize("error", list(TransportError))
def test_every_transport_error_is_a_failure_to_retry(error):
    outcome = AttemptOutcome.from_error(error)
    assert outcome.kind is OutcomeKind.FAILED
    assert (outcome.status_code, outcome.error) == (None, error)


@pytest.mark.parametrize("kwargs", [{}, {"status_code": 500, "error": TransportError.TIMEOUT}])
def test_an_outcome_is_a_status_or_an_error_not_both_nor_neither(kwargs):
    with pytest.raises(InvalidValueError):
        AttemptOutcome(**kwargs)


@pytest.mark.parametrize("status", [99, 600, True, 200.0])
def test_a_status_is_a_whole_number_from_100_to_599(status):
    with pytest.raises(InvalidValueError) as raised:
        AttemptOutcome.from_status(status)
    assert raised.value.field == "status_code"


# -- ids


def test_a_delivery_id_is_the_same_for_the_same_endpoint_and_event_and_differs_otherwise():
    other = UUID("eeeeeeee-0000-4000-8000-000000000002")
    assert delivery_id(ENDPOINT_ID, EVENT_ID) == delivery_id(ENDPOINT_ID, EVENT_ID)
    assert delivery_id(ENDPOINT_ID, EVENT_ID) != delivery_id(ENDPOINT_ID, other)
    assert delivery_id(ENDPOINT_ID, EVENT_ID) != delivery_id(EVENT_ID, ENDPOINT_ID)
    assert delivery_id(ENDPOINT_ID, EVENT_ID).version == 5


def test_the_webhook_id_is_msg_and_the_hex_of_the_delivery_id_and_reads_back():
    delivery = new_delivery()

    assert delivery.webhook_id == "msg_" + delivery.id.hex == webhook_id(delivery.id)
    assert delivery_id_from_webhook_id(delivery.webhook_id) == delivery.id


@pytest.mark.parametrize("value", ["", "msg_", "msg_" + "g" * 32, "evt_" + "a" * 32, "msg_" + "A" * 32, 42])
def test_anything_else_is_not_a_webhook_id(value):
    with pytest.raises(InvalidValueError) as raised:
        delivery_id_from_webhook_id(value)
    assert raised.value.field == "webhook_id"


# -- the delivery's life


def test_a_new_delivery_is_pending_and_due_at_once():
    delivery = new_delivery()

    assert delivery.id == delivery_id(ENDPOINT_ID, EVENT_ID)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.PENDING, 0, T0)
    assert delivery.is_due(T0)
    assert not delivery.is_due(T0 - timedelta(seconds=1))


def test_a_2xx_answer_delivers():
    delivery = new_delivery()

    assert attempt(delivery, AttemptOutcome.from_status(204), T0) == Ok(AttemptResult.DELIVERED)

    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.SUCCEEDED, 1, None)
    assert (delivery.last_status, delivery.last_error, delivery.last_attempt_at) == (204, None, T0)
    assert not delivery.is_due(T0 + timedelta(days=1))


def test_a_failure_schedules_the_next_attempt():
    delivery = new_delivery()

    assert attempt(delivery, AttemptOutcome.from_error(TransportError.TIMEOUT), T0) == Ok(AttemptResult.RETRYING)

    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.next_attempt_at == T0 + timedelta(seconds=5)
    assert (delivery.last_status, delivery.last_error) == (None, TransportError.TIMEOUT)


def test_the_jitter_comes_from_the_random_fraction_given():
    delivery = new_delivery()
    delivery.record_attempt(outcome=SERVER_ERROR, now=T0, schedule=SCHEDULE, random_fraction=0.0)
    assert delivery.next_attempt_at == T0 + timedelta(seconds=4)


def test_410_fails_the_delivery_at_once_and_says_gone():
    delivery = new_delivery()

    assert attempt(delivery, AttemptOutcome.from_status(410), T0) == Ok(AttemptResult.GONE)

    assert (delivery.status, delivery.next_attempt_at, delivery.last_status) == (DeliveryStatus.FAILED, None, 410)


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_heed_retry_after(status):
    delivery = new_delivery()
    attempt(delivery, AttemptOutcome.from_status(status), T0, retry_after=timedelta(minutes=3))
    assert delivery.next_attempt_at == T0 + timedelta(minutes=3)


def test_other_failures_ignore_retry_after():
    delivery = new_delivery()
    attempt(delivery, SERVER_ERROR, T0, retry_after=timedelta(minutes=3))
    assert delivery.next_attempt_at == T0 + timedelta(seconds=5)


def test_the_delivery_gives_up_after_the_schedules_last_attempt():
    delivery = new_delivery()
    now = T0
    results = []
    while delivery.status is DeliveryStatus.PENDING:
        results.append(attempt(delivery, SERVER_ERROR, now))
        now = delivery.next_attempt_at or now

    assert results == [Ok(AttemptResult.RETRYING)] * 12 + [Ok(AttemptResult.GAVE_UP)]
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 13, None)
    assert now - T0 == SCHEDULE.total


def test_an_attempt_reported_for_a_finished_delivery_is_refused_and_changes_nothing():
    delivery = new_delivery()
    attempt(delivery, OK, T0)

    result = attempt(delivery, SERVER_ERROR, T0 + timedelta(seconds=1))

    assert isinstance(result, Err)
    assert isinstance(result.error, DeliveryNotPendingError)
    assert (delivery.status, delivery.attempts, delivery.last_status) == (DeliveryStatus.SUCCEEDED, 1, 200)


def test_a_bad_random_fraction_is_refused_before_anything_changes():
    delivery = new_delivery()
    with pytest.raises(InvalidValueError):
        delivery.record_attempt(outcome=SERVER_ERROR, now=T0, schedule=SCHEDULE, random_fraction=1.0)
    assert delivery.attempts == 0


@pytest.mark.parametrize("finish", ["succeeded", "gone", "gave_up"])
def test_redelivery_makes_a_finished_delivery_pending_and_due_now_keeping_its_attempts(finish):
    delivery = new_delivery()
    short = RetrySchedule(delays=(timedelta(seconds=5),))
    if finish == "succeeded":
        attempt(delivery, OK, T0)
    elif finish == "gone":
        attempt(delivery, AttemptOutcome.from_status(410), T0)
    else:
        attempt(delivery, SERVER_ERROR, T0, schedule=short)
        attempt(delivery, SERVER_ERROR, T0, schedule=short)
    attempts = delivery.attempts
    later = T0 + timedelta(days=5)

    assert delivery.redeliver(now=later) == Ok(None)

    assert (delivery.status, delivery.next_attempt_at, delivery.attempts) == (DeliveryStatus.PENDING, later, attempts)
    assert delivery.attempts_this_round == 0
    assert delivery.is_due(later)


def test_a_redelivery_gets_a_fresh_round_of_the_schedule():
    short = RetrySchedule(delays=(timedelta(seconds=5),))
    delivery = new_delivery()
    attempt(delivery, SERVER_ERROR, T0, schedule=short)
    assert attempt(delivery, SERVER_ERROR, T0, schedule=short) == Ok(AttemptResult.GAVE_UP)

    delivery.redeliver(now=T0)

    assert attempt(delivery, SERVER_ERROR, T0, schedule=short) == Ok(AttemptResult.RETRYING)
    assert attempt(delivery, SERVER_ERROR, T0, schedule=short) == Ok(AttemptResult.GAVE_UP)
    assert (delivery.attempts, delivery.attempts_this_round) == (4, 2)


def test_a_pending_delivery_cannot_be_redelivered():
    delivery = new_delivery()
    attempt(delivery, SERVER_ERROR, T0)

    result = delivery.redeliver(now=T0)

    assert isinstance(result, Err)
    assert isinstance(result.error, DeliveryPendingError)
    assert delivery.next_attempt_at == T0 + timedelta(seconds=5)
