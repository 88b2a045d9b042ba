"""The outbox's management commands on PostgreSQL and RabbitMQ: drain_outbox (once and --loop) and
outbox_status, and their one-line errors."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from io import StringIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

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
    assert list(rows) == ["pending", "due", "backing off", "dead", "processed", "oldest pending age"]
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
