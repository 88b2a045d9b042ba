"""The outbox dispatcher against PostgreSQL and RabbitMQ (publisher confirms)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from apps.messaging.publisher import EventPublisher
from apps.outbox.dispatcher import BACKOFF_BASE_SECONDS, OutboxDispatcher
from apps.outbox.models import OutboxEntry
from domain.users.commands import RegisterUser, UpdateProfile
from tests.support.commands import dispatch
from tests.support.constants import PASSWORD


@pytest.mark.django_db
def test_pending_entries_reach_rabbitmq_in_order_per_aggregate_and_are_marked_processed(listener):
    assert settings.EVENTS_BROKER_URL.startswith("amqp://")
    user = dispatch(RegisterUser(email="ann@example.com", password=PASSWORD, display_name="Ann"))
    for name in ("Ann B", "Ann C"):
        dispatch(UpdateProfile(user_id=user.id, display_name=name))

    published = OutboxDispatcher(batch_size=2).dispatch_pending()

    assert published == 3
    mine = [m for m in listener() if m["aggregate_id"] == str(user.id)]
    assert [m["aggregate_version"] for m in mine] == [1, 2, 3]
    assert [m["event_type"] for m in mine] == [
        "users.user_registered",
        "users.user_profile_updated",
        "users.user_profile_updated",
    ]
    assert set(mine[0]) == {
        "event_id", "event_type", "event_version", "aggregate_type", "aggregate_id", "aggregate_version",
        "occurred_at", "correlation_id", "causation_id", "traceparent", "payload",
    }  # fmt: skip
    entries = OutboxEntry.objects.filter(aggregate_id=user.id)
    assert {e.status for e in entries} == {OutboxEntry.Status.PROCESSED}
    assert all(e.processed_at is not None for e in entries)


@pytest.mark.django_db
def test_a_poison_entry_goes_dead_and_parks_only_its_own_aggregate(listener):
    poisoned = dispatch(RegisterUser(email="poison@example.com", password=PASSWORD, display_name="P"))
    dispatch(UpdateProfile(user_id=poisoned.id, display_name="P2"))
    healthy = dispatch(RegisterUser(email="healthy@example.com", password=PASSWORD, display_name="H"))
    OutboxEntry.objects.filter(aggregate_id=poisoned.id, aggregate_version=1).update(event_type="users.#")
    dispatcher = OutboxDispatcher(max_attempts=2)

    dispatcher.dispatch_pending()
    OutboxEntry.objects.filter(aggregate_id=poisoned.id).update(next_attempt_at=None)  # skip the backoff wait
    dispatcher.dispatch_pending()

    head, follower = OutboxEntry.objects.filter(aggregate_id=poisoned.id).order_by("aggregate_version")
    assert (head.status, head.attempts) == (OutboxEntry.Status.DEAD, 2)
    assert "not a valid routing key" in head.last_error
    assert (follower.status, follower.attempts) == (OutboxEntry.Status.PENDING, 0)
    assert OutboxEntry.objects.get(aggregate_id=healthy.id).status == OutboxEntry.Status.PROCESSED
    arrived = {m["aggregate_id"] for m in listener()}
    assert str(healthy.id) in arrived
    assert str(poisoned.id) not in arrived


class DispatcherClock:
    """The time the dispatcher sees, moved by the test (``timezone.now`` is patched while a pass runs)."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def run(self, dispatcher: OutboxDispatcher) -> int:
        with mock.patch("django.utils.timezone.now", return_value=self.now):
            return dispatcher.dispatch_pending()


class RecordingPublisher(EventPublisher):
    """Publishes to the real broker and keeps, per batch, the (aggregate id, version) it was asked to send."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[tuple[str, int]]] = []

    def publish(self, envelopes, **options):
        self.batches.append([(e["aggregate_id"], e["aggregate_version"]) for e in envelopes])
        return super().publish(envelopes, **options)


def poison(aggregate_id, version: int) -> None:
    """Make one entry unpublishable: its event type is not a valid routing key, so every attempt fails."""
    OutboxEntry.objects.filter(aggregate_id=aggregate_id, aggregate_version=version).update(event_type="users.#")


def cure(aggregate_id, version: int) -> None:
    OutboxEntry.objects.filter(aggregate_id=aggregate_id, aggregate_version=version).update(
        event_type="users.user_profile_updated"
    )


def register_with_updates(name: str, updates: int):
    user = dispatch(RegisterUser(email=f"{name}@example.com", password=PASSWORD, display_name=name))
    for n in range(updates):
        dispatch(UpdateProfile(user_id=user.id, display_name=f"{name} {n}"))
    return user.id


def arrived_versions(messages: list[dict], aggregate_id) -> list[int]:
    return [m["aggregate_version"] for m in messages if m["aggregate_id"] == str(aggregate_id)]


@pytest.mark.django_db
def test_a_failed_entry_waits_out_its_backoff_before_it_is_tried_again_and_its_stream_waits_with_it(listener):
    failing = register_with_updates("backoff", updates=2)
    poison(failing, 1)
    clock = DispatcherClock()
    dispatcher = OutboxDispatcher(max_attempts=5)

    clock.run(dispatcher)

    head = OutboxEntry.objects.get(aggregate_id=failing, aggregate_version=1)
    assert (head.status, head.attempts) == (OutboxEntry.Status.PENDING, 1)
    # The first retry is due between half and all of the base delay after the failure, never at once.
    first_delay = head.next_attempt_at - clock.now
    assert timedelta(seconds=BACKOFF_BASE_SECONDS / 2) <= first_delay <= timedelta(seconds=BACKOFF_BASE_SECONDS)

    clock.now = head.next_attempt_at - timedelta(milliseconds=1)  # just before it is due
    clock.run(dispatcher)

    head.refresh_from_db()
    assert (head.status, head.attempts, head.next_attempt_at) == (
        OutboxEntry.Status.PENDING,
        1,
        clock.now + timedelta(milliseconds=1),
    )
    assert arrived_versions(listener(), failing) == []  # nor did the rest of its stream overtake it

    clock.now = head.next_attempt_at  # due now: tried again, and the delay has doubled
    clock.run(dispatcher)

    head.refresh_from_db()
    assert (head.status, head.attempts) == (OutboxEntry.Status.PENDING, 2)
    second_delay = head.next_attempt_at - clock.now
    assert timedelta(seconds=BACKOFF_BASE_SECONDS) <= second_delay <= timedelta(seconds=2 * BACKOFF_BASE_SECONDS)

    cure(failing, 1)
    clock.now = head.next_attempt_at
    clock.run(dispatcher)

    assert arrived_versions(listener(), failing) == [1, 2, 3]
    assert set(OutboxEntry.objects.filter(aggregate_id=failing).values_list("status", flat=True)) == {
        OutboxEntry.Status.PROCESSED
    }


@pytest.mark.django_db
def test_a_parked_stream_stays_parked_on_later_passes_while_other_streams_keep_flowing(listener):
    parked = register_with_updates("parked", updates=2)
    healthy = [register_with_updates(f"flowing{n}", updates=1) for n in range(2)]
    poison(parked, 1)
    clock = DispatcherClock()
    dispatcher = OutboxDispatcher(batch_size=2, max_attempts=2)

    clock.run(dispatcher)  # first attempt fails
    clock.now = OutboxEntry.objects.get(aggregate_id=parked, aggregate_version=1).next_attempt_at
    clock.run(dispatcher)  # second attempt fails: the head is dead, the stream parked

    head = OutboxEntry.objects.get(aggregate_id=parked, aggregate_version=1)
    assert (head.status, head.attempts) == (OutboxEntry.Status.DEAD, 2)

    # New events on both sides, then a third pass, in batches smaller than the work.
    dispatch(UpdateProfile(user_id=parked, display_name="parked later"))
    for user_id in healthy:
        dispatch(UpdateProfile(user_id=user_id, display_name="flowing later"))
    clock.now += timedelta(hours=1)
    clock.run(dispatcher)

    arrived = listener()
    assert arrived_versions(arrived, parked) == []
    assert {str(user_id): arrived_versions(arrived, user_id) for user_id in healthy} == {
        str(user_id): [1, 2, 3] for user_id in healthy
    }
    followers = OutboxEntry.objects.filter(aggregate_id=parked, aggregate_version__gt=1)
    assert sorted(followers.values_list("aggregate_version", "status", "attempts")) == [
        (2, OutboxEntry.Status.PENDING, 0),
        (3, OutboxEntry.Status.PENDING, 0),
        (4, OutboxEntry.Status.PENDING, 0),
    ]


@pytest.mark.django_db
def test_interleaved_streams_drained_in_batches_smaller_than_a_stream_arrive_in_order_per_aggregate(listener):
    users = [
        dispatch(RegisterUser(email=f"woven{n}@example.com", password=PASSWORD, display_name=f"W{n}")).id
        for n in range(4)
    ]
    for version in range(2, 7):  # created round-robin: W0 v2, W1 v2, ..., W3 v6
        for n, user_id in enumerate(users):
            dispatch(UpdateProfile(user_id=user_id, display_name=f"W{n} v{version}"))
    publisher = RecordingPublisher()
    dispatcher = OutboxDispatcher(publisher, batch_size=3)

    published = dispatcher.dispatch_pending()
    publisher.close()

    assert published == 24
    assert len(publisher.batches) >= 8, "drained in batches of at most 3"
    assert max(len(batch) for batch in publisher.batches) <= 3
    arrived = listener()
    assert {str(u): arrived_versions(arrived, u) for u in users} == {str(u): [1, 2, 3, 4, 5, 6] for u in users}
    sent = [entry for batch in publisher.batches for entry in batch]
    for user_id in users:
        assert [v for a, v in sent if a == str(user_id)] == [1, 2, 3, 4, 5, 6], "each sent once, in order"
