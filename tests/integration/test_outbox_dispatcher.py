"""The outbox dispatcher against PostgreSQL and RabbitMQ (publisher confirms)."""

import pytest
from django.conf import settings

from apps.outbox.dispatcher import OutboxDispatcher
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
