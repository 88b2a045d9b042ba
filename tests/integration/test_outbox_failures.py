"""The outbox when things go wrong, on PostgreSQL and RabbitMQ: concurrent dispatchers, a dispatcher
killed between publishing and marking, and a broker that cannot be reached."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import Counter, defaultdict
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from apps.messaging.publisher import BrokerUnavailable, EventPublisher
from apps.outbox import tasks
from apps.outbox.dispatcher import OutboxDispatcher
from apps.outbox.models import OutboxEntry
from domain.users.commands import RegisterUser, UpdateProfile
from tests.integration.threads import in_thread
from tests.support.commands import dispatch
from tests.support.constants import PASSWORD

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens on port 1: refused at once


def users_with_history(prefix: str, users: int, updates: int) -> list[uuid.UUID]:
    """``users`` users, each with ``updates`` profile updates: ``users * (1 + updates)`` pending events."""
    ids = []
    for n in range(users):
        user = dispatch(RegisterUser(email=f"{prefix}{n}@example.com", password=PASSWORD, display_name=f"U{n}"))
        for version in range(2, updates + 2):
            dispatch(UpdateProfile(user_id=user.id, display_name=f"U{n} v{version}"))
        ids.append(user.id)
    return ids


def versions_by_aggregate(messages: list[dict], aggregate_ids) -> dict[str, list[int]]:
    """The aggregate versions each of ``aggregate_ids`` arrived with, in arrival order."""
    wanted = {str(aggregate_id) for aggregate_id in aggregate_ids}
    seen: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        if message["aggregate_id"] in wanted:
            seen[message["aggregate_id"]].append(message["aggregate_version"])
    return dict(seen)


def child_environment() -> dict[str, str]:
    """The environment of a child process that works on this test's database (test_<name>) and broker."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "EVENTS_BROKER_URL": settings.EVENTS_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    }


class MeetingPublisher(EventPublisher):
    """Publishes its first batch only once the other dispatcher holds a batch too (both claims overlap)."""

    def __init__(self, barrier: threading.Barrier) -> None:
        super().__init__()
        self.barrier = barrier
        self.published: list[str] = []

    def publish(self, envelopes, **options):
        if not self.published:
            self.barrier.wait(timeout=10)  # a dispatcher blocked on the other's locks would break this
        report = super().publish(envelopes, **options)
        self.published.extend(str(envelopes[i]["event_id"]) for i in sorted(report.published))
        return report


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_publish_every_entry_exactly_once_and_in_order_per_aggregate(listener):
    aggregates = users_with_history("race", users=60, updates=4)  # 300 events
    mine = set(OutboxEntry.objects.filter(aggregate_id__in=aggregates).values_list("id", flat=True))
    assert len(mine) == 300
    barrier = threading.Barrier(2)
    publishers = [MeetingPublisher(barrier), MeetingPublisher(barrier)]
    errors: list[BaseException] = []

    def drain(publisher: MeetingPublisher) -> None:
        try:
            OutboxDispatcher(publisher, batch_size=7).dispatch_pending()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            publisher.close()

    threads = [in_thread(drain, publisher) for publisher in publishers]
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    first, second = (Counter(p.published) for p in publishers)
    assert first, "both dispatchers published"
    assert second, "both dispatchers published"
    assert not set(first) & set(second), "no entry was published by both"
    assert max((first + second).values()) == 1, "no entry was published twice"
    assert {uuid.UUID(event_id) for event_id in first + second} >= mine
    arrived = [m for m in listener() if uuid.UUID(m["event_id"]) in mine]
    assert len(arrived) == len(mine) == len({m["event_id"] for m in arrived})
    assert versions_by_aggregate(arrived, aggregates) == {str(a): [1, 2, 3, 4, 5] for a in aggregates}
    statuses = OutboxEntry.objects.filter(id__in=mine).values_list("status", "attempts")
    assert set(statuses) == {(OutboxEntry.Status.PROCESSED, 0)}


KILLED_AFTER_PUBLISHING = textwrap.dedent(
    """
    import os, signal, django
    django.setup()
    from apps.messaging.publisher import EventPublisher
    from apps.outbox.dispatcher import OutboxDispatcher

    class PublishThenDie(EventPublisher):
        def publish(self, envelopes, **options):
            report = super().publish(envelopes, **options)  # confirmed by the broker...
            print(len(report.published), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # ...and killed before the rows are marked

    OutboxDispatcher(PublishThenDie()).dispatch_pending()
    """
)


@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_killed_between_publishing_and_marking_leaves_the_entries_to_be_published_again(listener):
    aggregates = users_with_history("killed", users=2, updates=1)
    mine = set(OutboxEntry.objects.filter(aggregate_id__in=aggregates).values_list("id", flat=True))

    child = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_PUBLISHING],
        cwd=settings.BASE_DIR,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert child.returncode == -signal.SIGKILL, child.stderr
    assert int(child.stdout) >= len(mine)
    first_delivery = [m for m in listener() if uuid.UUID(m["event_id"]) in mine]
    assert len(first_delivery) == len(mine)
    assert set(OutboxEntry.objects.filter(id__in=mine).values_list("status", "attempts", "processed_at")) == {
        (OutboxEntry.Status.PENDING, 0, None)
    }

    # PostgreSQL rolls the child's transaction back (and frees its row locks) once it sees the socket close.
    dispatcher = OutboxDispatcher()
    deadline = time.monotonic() + 10
    while OutboxEntry.objects.filter(id__in=mine, status=OutboxEntry.Status.PENDING).exists():
        assert time.monotonic() < deadline, "the killed dispatcher's locks were never released"
        if not dispatcher.dispatch_pending():
            time.sleep(0.05)
    dispatcher.publisher.close()

    every_delivery = [m for m in listener() if uuid.UUID(m["event_id"]) in mine]
    assert Counter(m["event_id"] for m in every_delivery) == {str(event_id): 2 for event_id in mine}
    assert versions_by_aggregate(every_delivery, aggregates) == {str(a): [1, 2, 1, 2] for a in aggregates}
    assert set(OutboxEntry.objects.filter(id__in=mine).values_list("status", flat=True)) == {
        OutboxEntry.Status.PROCESSED
    }


@pytest.mark.django_db
def test_with_the_broker_unreachable_writes_succeed_and_entries_wait_until_it_is_back(listener, settings, monkeypatch):
    real_broker = settings.EVENTS_BROKER_URL
    settings.EVENTS_BROKER_URL = UNREACHABLE_BROKER
    monkeypatch.setattr(tasks, "_local", threading.local())  # a fresh per-thread dispatcher for the task
    client = APIClient()
    aggregates = []
    for n in range(3):
        response = client.post(
            "/api/v1/auth/register",
            {"email": f"offline{n}@example.com", "password": PASSWORD, "display_name": f"Offline {n}"},
            format="json",
        )
        assert response.status_code == 201, response.content
        aggregates.append(uuid.UUID(response.json()["id"]))
        for version in (2, 3):
            dispatch(UpdateProfile(user_id=aggregates[-1], display_name=f"Offline {n} v{version}"))
    mine = OutboxEntry.objects.filter(aggregate_id__in=aggregates)
    assert mine.count() == 9

    with pytest.raises(BrokerUnavailable, match="Connection refused"):
        OutboxDispatcher().dispatch_pending()
    assert tasks.drain_outbox() == 0

    assert set(mine.values_list("status", "attempts", "next_attempt_at", "last_error")) == {
        (OutboxEntry.Status.PENDING, 0, None, "")
    }
    assert versions_by_aggregate(listener(), aggregates) == {}

    settings.EVENTS_BROKER_URL = real_broker  # the broker is back; the same worker-side dispatcher recovers
    assert tasks.drain_outbox() >= 9

    assert set(mine.values_list("status", "attempts")) == {(OutboxEntry.Status.PROCESSED, 0)}
    assert versions_by_aggregate(listener(), aggregates) == {str(a): [1, 2, 3] for a in aggregates}
