"""The outbox's management commands on PostgreSQL and RabbitMQ: drain_outbox (once and --loop) and
outbox_status (the dead letters' figures included), and their one-line errors."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from io import StringIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from kombu import Connection, Exchange, Producer, Queue

from apps.messaging.models import DeliveryFailure
from apps.outbox.models import OutboxEntry
from domain.users.commands import UpdateProfile
from tests.support.accounts import register as register_user
from tests.support.commands import dispatch

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1//"


def register(email: str, *, updates: int = 0) -> uuid.UUID:
    user = register_user(email)
    for n in range(updates):
        dispatch(UpdateProfile(user_id=user.id, display_name=f"v{n}"))
    return user.id


def manage(*args: str, broker_url: str | None = None) -> subprocess.Popen:
    """``manage.py`` in a child process, on this test's database (test_<name>) and broker."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "EVENTS_BROKER_URL": broker_url or settings.EVENTS_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def status() -> dict:
    out = StringIO()
    call_command("outbox_status", "--json", stdout=out)
    return json.loads(out.getvalue())


def table(text: str) -> dict[str, str]:
    """outbox_status's table as {label: value}."""
    rows = {}
    for line in text.splitlines():
        label, value = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        rows[label] = value
    return rows


@pytest.mark.django_db
def test_drain_outbox_publishes_the_pending_entries_once_and_says_how_many(listener):
    first, second = register("drain1@example.com", updates=2), register("drain2@example.com")
    out, err = StringIO(), StringIO()

    call_command("drain_outbox", "--batch-size", "2", stdout=out, stderr=err)

    published = re.fullmatch(r"published (\d+) outbox entries\n", out.getvalue())
    assert published, out.getvalue()
    assert int(published.group(1)) >= 4
    assert err.getvalue() == ""
    mine = OutboxEntry.objects.filter(aggregate_id__in=[first, second])
    assert set(mine.values_list("status", flat=True)) == {OutboxEntry.Status.PROCESSED}
    arrived = [(m["aggregate_id"], m["aggregate_version"]) for m in listener()]
    assert [v for a, v in arrived if a == str(first)] == [1, 2, 3]
    assert [v for a, v in arrived if a == str(second)] == [1]


@pytest.mark.django_db
def test_outbox_status_counts_each_state_and_the_oldest_pending_age():
    before = status()
    now = timezone.now()
    due, backing_off, dead, processed = (register(f"status{n}@example.com") for n in range(4))
    OutboxEntry.objects.filter(aggregate_id=due).update(created_at=now - timedelta(days=3))
    OutboxEntry.objects.filter(aggregate_id=backing_off).update(attempts=1, next_attempt_at=now + timedelta(hours=1))
    OutboxEntry.objects.filter(aggregate_id=dead).update(status=OutboxEntry.Status.DEAD, attempts=10)
    OutboxEntry.objects.filter(aggregate_id=processed).update(status=OutboxEntry.Status.PROCESSED, processed_at=now)

    after = status()
    text = StringIO()
    call_command("outbox_status", stdout=text)

    counts = ("pending", "due", "backing_off", "dead", "processed")
    assert {key: after[key] - before[key] for key in counts} == {
        "pending": 2,
        "due": 1,
        "backing_off": 1,
        "dead": 1,
        "processed": 1,
    }
    assert after["oldest_pending_age_seconds"] >= 3 * 24 * 3600
    assert after["oldest_pending_at"] <= (now - timedelta(days=3)).isoformat()
    rows = table(text.getvalue())
    assert list(rows) == [
        "pending",
        "due",
        "backing off",
        "dead",
        "processed",
        "oldest pending age",
        "dead letters",
        "dead-letter queue",
    ]
    assert {label: int(rows[label]) for label in ("pending", "due", "backing off", "dead", "processed")} == {
        "pending": after["pending"],
        "due": after["due"],
        "backing off": after["backing_off"],
        "dead": after["dead"],
        "processed": after["processed"],
    }
    assert re.fullmatch(r"\d+ d \d+ h  \(since \S+\)", rows["oldest pending age"])


@pytest.mark.django_db
def test_drain_outbox_with_the_broker_unreachable_fails_with_one_line_and_status_1():
    child = manage("drain_outbox", broker_url=UNREACHABLE_BROKER)
    out, err = child.communicate(timeout=60)

    assert child.returncode == 1
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.endswith("\n"), err
    assert err.startswith("orderflow: events broker unavailable: "), err
    assert "Connection refused" in err


@pytest.mark.django_db(transaction=True)
def test_drain_outbox_loop_publishes_as_entries_arrive_and_stops_on_sigterm(listener):
    child = manage("drain_outbox", "--loop", "--interval", "0.05")
    try:
        assert child.stdout.readline().startswith("draining the outbox every 0.05 s when idle")
        aggregates = [register(f"loop{n}@example.com", updates=1) for n in range(3)]
        mine = OutboxEntry.objects.filter(aggregate_id__in=aggregates)
        deadline = time.monotonic() + 10
        while mine.exclude(status=OutboxEntry.Status.PROCESSED).exists():
            assert time.monotonic() < deadline, "the loop did not drain the new entries"
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    assert child.returncode == 0, err
    lines = out.splitlines()
    assert re.fullmatch(r"stopped; published \d+ in total", lines[-1]), out
    progress = [line for line in lines[:-1] if " published " in line]
    assert progress, out
    assert all(re.search(r"published \d+ outbox entr(y|ies) in \d+ batch", line) for line in progress), out
    assert err == "SIGTERM: stopping after the current batch (again to interrupt at once)\n"
    arrived = [(m["aggregate_id"], m["aggregate_version"]) for m in listener()]
    for aggregate in aggregates:
        assert [v for a, v in arrived if a == str(aggregate)] == [1, 2]


def failure(status: str) -> DeliveryFailure:
    return DeliveryFailure.objects.create(
        consumer="test-status", event_id=uuid.uuid4(), envelope={"body": "b'x'"}, status=status, attempts=5
    )


@pytest.fixture
def private_dead_letter_queue(settings):
    """A dead-letter queue of this test's own on the real broker, read by outbox_status instead of the shared one."""
    settings.EVENTS_DEAD_LETTER_QUEUE = f"test.dead-letters.{uuid.uuid4().hex[:12]}"
    with Connection(settings.EVENTS_BROKER_URL) as conn:
        queue = Queue(settings.EVENTS_DEAD_LETTER_QUEUE)(conn.default_channel)
        queue.declare()
        producer = Producer(conn.default_channel, exchange=Exchange(""))

        def put(count: int) -> None:
            for n in range(count):
                producer.publish({"n": n}, routing_key=settings.EVENTS_DEAD_LETTER_QUEUE, serializer="json")

        yield put
        queue.delete()


@pytest.mark.django_db
def test_outbox_status_counts_the_dead_letters_recorded_and_the_messages_in_the_dead_letter_queue(
    private_dead_letter_queue, settings
):
    settings.EVENTS_DEAD_LETTER_MAX_LENGTH, settings.EVENTS_DEAD_LETTER_RETENTION_DAYS = 2_500, 3
    before = status()["dead_letters"]
    for state in ("dead", "dead", "retrying", "requeued"):
        failure(state)
    private_dead_letter_queue(3)

    after = status()
    text = StringIO()
    call_command("outbox_status", stdout=text)

    queue = settings.EVENTS_DEAD_LETTER_QUEUE
    assert after["dead_letters"] - before == 2
    assert {key: value for key, value in after.items() if key.startswith("dead_letter_queue")} == {
        "dead_letter_queue": queue,
        "dead_letter_queue_messages": 3,
        "dead_letter_queue_unknown_because": None,
        "dead_letter_queue_max_length": 2_500,
        "dead_letter_queue_ttl_seconds": 3 * 24 * 3600,
        "dead_letter_queue_bound": "at most 2,500 messages, each kept 3 d",
    }
    rows = table(text.getvalue())
    assert rows["dead letters"] == f"{after['dead_letters']}  (recorded by the consumers)"
    assert rows["dead-letter queue"] == f"3  ({queue}: at most 2,500 messages, each kept 3 d)"


@pytest.mark.django_db
def test_outbox_status_says_when_the_dead_letter_queue_is_not_declared_yet(settings):
    settings.EVENTS_DEAD_LETTER_QUEUE = f"test.never-declared.{uuid.uuid4().hex[:12]}"

    after = status()

    assert after["dead_letter_queue_messages"] is None
    assert after["dead_letter_queue_unknown_because"] == "not declared yet (declare_event_topology declares it)"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_outbox_status_with_the_broker_down_prints_the_database_figures_and_exits_3(as_json):
    failure("dead")
    before = time.monotonic()

    child = manage("outbox_status", *(["--json"] if as_json else []), broker_url=UNREACHABLE_BROKER)
    out, err = child.communicate(timeout=120)

    assert child.returncode == 3, err
    assert err == "orderflow: events broker unavailable: [Errno 111] Connection refused\n"
    if as_json:
        figures = json.loads(out)
        assert figures["dead_letters"] == 1
        assert figures["dead_letter_queue_messages"] is None
        assert (
            figures["dead_letter_queue_unknown_because"] == "events broker unavailable: [Errno 111] Connection refused"
        )
        assert figures["pending"] == 0
    else:
        rows = table(out)
        assert rows["dead letters"] == "1  (recorded by the consumers)"
        assert rows["dead-letter queue"] == (
            "-  (orderflow.dead-letters: events broker unavailable: [Errno 111] Connection refused)"
        )
        assert rows["pending"] == "0"
    assert time.monotonic() - before < 60  # no retry loop behind it, whatever the machine's load


@pytest.mark.django_db
def test_outbox_status_waits_at_most_a_few_seconds_for_a_broker_that_does_not_answer(settings):
    with socket.socket() as silent:  # accepts the connection, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.EVENTS_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{silent.getsockname()[1]}//"
        out = StringIO()
        started = time.monotonic()

        with pytest.raises(CommandError) as failed:
            call_command("outbox_status", "--json", stdout=out)

    assert time.monotonic() - started < 10
    assert failed.value.returncode == 3
    assert str(failed.value) == "events broker unavailable: timed out"
    assert json.loads(out.getvalue())["dead_letter_queue_unknown_because"] == "events broker unavailable: timed out"
