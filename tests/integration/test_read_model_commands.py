"""rebuild_read_models and consume_events against PostgreSQL and RabbitMQ."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from apps.messaging import broker
from apps.messaging.models import InboxEntry
from apps.messaging.registry import consumers, projection, projections
from apps.messaging.runner import ConsumerRunner
from apps.outbox.dispatcher import OutboxDispatcher
from apps.outbox.models import OutboxEntry
from apps.users.models import User as UserRow
from apps.users.models import UserReadModel
from domain.users.commands import AuthenticateUser, DeactivateUser, RegisterUser, UpdateProfile
from tests.support.commands import dispatch
from tests.support.constants import PASSWORD
from tests.support.events import deliver_events

USERS_READ = projection("users_read")

READ_FIELDS = ("email", "display_name", "is_active", "created_at", "last_login_at", "version")


def read_state(user_id: uuid.UUID) -> dict[str, Any]:
    return UserReadModel.objects.filter(pk=user_id).values(*READ_FIELDS).get()


def write_state(user_id: uuid.UUID) -> dict[str, Any]:
    """The write side's view of the same fields: what users_read must agree with."""
    row = UserRow.objects.get(pk=user_id)
    return {
        "email": row.email,
        "display_name": row.display_name,
        "is_active": row.is_active,
        "created_at": row.created_at,
        "last_login_at": row.last_login,
        "version": row.version,
    }


@pytest.fixture
def history() -> dict[str, uuid.UUID]:
    """Three users with some history, all delivered into users_read."""
    ada = dispatch(RegisterUser(email="ada@example.com", password=PASSWORD, display_name="Ada"))
    bob = dispatch(RegisterUser(email="bob@example.com", password=PASSWORD, display_name="Bob"))
    cy = dispatch(RegisterUser(email="cy@example.com", password=PASSWORD, display_name="Cy"))
    dispatch(UpdateProfile(user_id=ada.id, display_name="Ada L."))
    dispatch(AuthenticateUser(email="ada@example.com", password=PASSWORD))
    dispatch(UpdateProfile(user_id=bob.id, display_name="Bob M."))
    dispatch(DeactivateUser(user_id=bob.id, reason="left the company", requested_by=ada.id))
    deliver_events()
    users = {"ada": ada.id, "bob": bob.id, "cy": cy.id}
    assert set(OutboxEntry.objects.filter(aggregate_id__in=users.values()).values_list("status", flat=True)) == {
        OutboxEntry.Status.PROCESSED
    }
    for user_id in users.values():
        assert read_state(user_id) == write_state(user_id)
    return users


@pytest.mark.django_db
def test_rebuild_read_models_restores_a_corrupted_users_read_from_the_event_history(history):
    ada, bob, cy = history["ada"], history["bob"], history["cy"]
    before = {user_id: read_state(user_id) for user_id in history.values()}
    UserReadModel.objects.filter(pk=ada).update(display_name="garbage", is_active=False, version=99)
    UserReadModel.objects.filter(pk=bob).delete()
    stray = UserReadModel.objects.create(
        id=uuid.uuid4(), email="ghost@example.com", display_name="Ghost", is_active=True,
        created_at=datetime.now(UTC), version=1,
    )  # fmt: skip
    out, err = StringIO(), StringIO()

    call_command("rebuild_read_models", "--projection", "users_read", stdout=out, stderr=err)

    assert {user_id: read_state(user_id) for user_id in history.values()} == before
    assert read_state(bob)["is_active"] is False
    assert read_state(ada)["last_login_at"] is not None
    assert not UserReadModel.objects.filter(pk=stray.pk).exists()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("users_read: replaying ")
    assert lines[-1].startswith("users_read: rebuilt from ")
    assert err.getvalue() == ""
    # The inbox holds what was replayed, so a late redelivery of a replayed event is absorbed ...
    mine = OutboxEntry.objects.filter(aggregate_id__in=[ada, bob, cy])
    inbox = InboxEntry.objects.filter(consumer=USERS_READ.consumer.name, event_id__in=mine.values("id"))
    assert inbox.count() == mine.count() == 7
    # ... and the live consumer carries on from the rebuilt state.
    dispatch(UpdateProfile(user_id=cy, display_name="Cy T."))
    deliver_events()
    assert read_state(cy) == write_state(cy)
    assert (read_state(cy)["display_name"], read_state(cy)["version"]) == ("Cy T.", 2)


@pytest.mark.django_db
def test_rebuild_read_models_leaves_out_and_reports_a_stream_whose_start_was_purged(history):
    ada, bob = history["ada"], history["bob"]
    OutboxEntry.objects.filter(aggregate_id=ada, aggregate_version=1).delete()  # as the retention purge does
    out, err = StringIO(), StringIO()

    call_command("rebuild_read_models", stdout=out, stderr=err)

    assert not UserReadModel.objects.filter(pk=ada).exists()
    assert read_state(bob) == write_state(bob)
    assert err.getvalue().strip() == ("users_read: 1 aggregate(s) left out: the start of their history was purged")


@pytest.mark.django_db
def test_rebuild_read_models_refuses_an_unknown_projection_and_changes_nothing(history):
    ada = history["ada"]
    UserReadModel.objects.filter(pk=ada).update(display_name="kept as it is")

    with pytest.raises(CommandError) as refused:
        call_command("rebuild_read_models", "--projection", "users_read", "--projection", "no_such_read")

    assert str(refused.value) == f"unknown projection no_such_read; known: {', '.join(projections())}"
    assert read_state(ada)["display_name"] == "kept as it is"


@pytest.fixture
def restore_signal_handlers() -> Iterator[None]:
    """consume_events installs SIGINT/SIGTERM handlers (to stop cleanly); the test run keeps its own."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.django_db
def test_consume_events_with_an_idle_timeout_consumes_what_is_queued_and_stops(restore_signal_handlers):
    with broker.connection() as conn:
        for queue in ConsumerRunner(consumers()).declare(conn):
            queue(conn.default_channel).purge()  # leftovers of earlier runs are not this test's events
    user = dispatch(RegisterUser(email="dee@example.com", password=PASSWORD, display_name="Dee"))
    assert OutboxDispatcher().dispatch_pending() == 1
    out = StringIO()

    call_command("consume_events", "--consumer", "users-read", "--idle-timeout", "0.5", stdout=out)

    assert out.getvalue().splitlines() == ["consuming for users-read (Ctrl-C stops)", "stopped after 1 message(s)"]
    assert read_state(user.id) == write_state(user.id)


@pytest.mark.django_db
def test_consume_events_refuses_an_unknown_consumer(restore_signal_handlers):
    known = ", ".join(consumer.name for consumer in consumers())
    with pytest.raises(CommandError, match=rf"^no consumer is named 'nobody'; known: {known}$"):
        call_command("consume_events", "--consumer", "nobody", "--idle-timeout", "0.1")


@pytest.mark.django_db
def test_consume_events_refuses_a_shard_the_layout_does_not_have(settings, restore_signal_handlers):
    settings.EVENTS_CONSUMER_SHARDS = 2
    with pytest.raises(CommandError, match=r"^shard 2 does not exist: with 2 shard\(s\) they are 0 to 1$"):
        call_command("consume_events", "--shard", "2", "--idle-timeout", "0.1")


@pytest.mark.django_db
def test_consume_events_runs_the_one_shard_it_is_given(settings, restore_signal_handlers):
    settings.EVENTS_CONSUMER_SHARDS = 2
    out = StringIO()
    try:
        call_command("consume_events", "--consumer", "users-read", "--shard", "1", "--idle-timeout", "0.2", stdout=out)
    finally:
        with broker.connection() as conn:
            conn.default_channel.queue_delete("orderflow.users-read.shard-1-of-2")

    assert out.getvalue().splitlines()[0] == "consuming for users-read, shard(s) 1 of 2 (Ctrl-C stops)"


@pytest.mark.django_db
def test_declare_event_topology_refuses_to_retire_the_layout_in_use():
    with pytest.raises(CommandError, match=r"^--retire-shards 1 is the layout in use \(EVENTS_CONSUMER_SHARDS\)$"):
        call_command("declare_event_topology", "--retire-shards", "1", "--skip-retention")


@pytest.mark.django_db
def test_consume_events_with_an_idle_timeout_fails_in_one_line_when_the_broker_is_unreachable(
    settings, restore_signal_handlers
):
    settings.EVENTS_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens on port 1

    with pytest.raises(CommandError, match=r"^events broker unavailable: ") as refused:
        call_command("consume_events", "--idle-timeout", "0.1", stdout=StringIO())

    assert "\n" not in str(refused.value)
