#!/usr/bin/env python3
"""Benchmark of the event backbone: outbox -> RabbitMQ (publisher confirms) -> users_read.

A benchmark, not a test: it asserts nothing, it measures and prints. ``make bench-outbox``
runs it against the real services on localhost (PostgreSQL and RabbitMQ), in one run:

1. **raw**: a py-amqp publish loop of the same envelopes, persistent, to the same kind of
   durable topic exchange with a bound durable queue, in batches of ``OUTBOX_BATCH_SIZE``
   whose publisher confirms are awaited together (the mode of ``EventPublisher``);
2. **drain**: 50,000 pending outbox rows (10,000 users x 5 events, ``users.user_registered``
   then profile updates, interleaved across users) drained by ``OutboxDispatcher().
   dispatch_pending()`` in ``--dispatchers`` processes at once (default 2, what ``celery -A
   config worker`` runs on two cores: its default concurrency is the number of CPUs, and beat's
   ticks and the commit kicks keep both busy while there is a backlog) while the users_read
   consumer (``ConsumerRunner`` + the users projection, in its own process) projects them; drain
   and end-to-end events/s; then, as a diagnostic, the same rows drained with no consumer at
   work, by one dispatcher and by ``--dispatchers``, counting any message published twice;
3. **lag**: commands at a steady rate through ``command_bus()`` (RegisterUser and
   UpdateProfile) with a dispatcher process (kicked after each commit like
   ``transaction.on_commit(kick)``, and ticking every second like beat) and the consumer
   process running; commit -> visible-in-users_read lag per event, p50/p99.

It creates (and drops at the end) its own database, ``orderflow_bench`` by default, and uses
its own exchanges (``orderflow-bench.*``) and queue (``orderflow.users-read-bench``), so a dev
stack or a test run on the same broker neither disturbs it nor is disturbed.

    .venv/bin/python scripts/bench_outbox.py [--users 10000] [--per-user 5] [--rate 200] [--seconds 20]

It prints where the time goes (dispatcher phases, SQL statements per batch and per message,
CPU per process group) and, at the end, the figures beside the targets. Figures and their
reading: docs/ops/scaling-strategy.md.

Environment: ``BENCH_DATABASE_URL`` (postgres://postgres@127.0.0.1:5432/orderflow_bench; the
database name must contain "bench", it is dropped and recreated), ``BENCH_BROKER_URL``
(amqp://guest:guest@127.0.0.1:5672//), ``OUTBOX_BATCH_SIZE`` (500).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/orderflow_bench"
DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
EXCHANGE = "orderflow-bench.events"
DEAD_LETTER_EXCHANGE = "orderflow-bench.dead-letters"
RAW_QUEUE = "orderflow-bench.raw"
CONSUMER_NAME = "users-read-bench"  # queue orderflow.users-read-bench; same handler as users-read

TARGET_DRAIN_RATE = 2000.0
TARGET_DRAIN_RATIO = 0.5
TARGET_LAG_P99_MS = 500.0


# --- environment -------------------------------------------------------------------------------


def configure_environment() -> tuple[str, str]:
    """Point config.settings at the bench database and broker; children inherit os.environ."""
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    broker_url = os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL)
    env = os.environ
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["DOTENV_FILE"] = ""  # a developer's .env must not point the benchmark elsewhere
    env["DEBUG"] = "false"  # DEBUG keeps every SQL query in memory: not what production runs
    if "BENCH_CHILD" not in env:
        env["SECRET_KEY"] = secrets.token_urlsafe(50)
        env["JWT_ALGORITHM"] = "HS256"
        env["JWT_SECRET"] = secrets.token_urlsafe(48)
    env["ALLOWED_HOSTS"] = "localhost"
    env["PAYMENT_PROVIDER"] = "simulated"  # no refunds here
    env["DATABASE_URL"] = database_url
    env["EVENTS_BROKER_URL"] = broker_url
    env["CELERY_BROKER_URL"] = "memory://"  # no Celery here: the kick is emulated (see dispatcher_role)
    env["LOG_LEVEL"] = env.get("BENCH_LOG_LEVEL", "WARNING")
    env.pop("REDIS_URL", None)
    return database_url, broker_url


def setup_django() -> None:
    import django

    django.setup()
    from django.contrib.auth.hashers import Argon2PasswordHasher
    from django.test.utils import override_settings

    class BenchArgon2PasswordHasher(Argon2PasswordHasher):
        """argon2id still, with cheap parameters: the benchmark measures events, not hashing."""

        time_cost = 1
        memory_cost = 64
        parallelism = 1

    globals()["BenchArgon2PasswordHasher"] = BenchArgon2PasswordHasher
    override_settings(
        EVENTS_EXCHANGE=EXCHANGE,
        EVENTS_DEAD_LETTER_EXCHANGE=DEAD_LETTER_EXCHANGE,
        OUTBOX_KICK_ON_COMMIT=False,  # the kick is emulated, without Celery
        PASSWORD_HASHERS=[f"{__name__}.BenchArgon2PasswordHasher"],
    ).enable()


def bench_consumer() -> Any:
    """The production users_read consumer (batch path included), under a queue name of its own."""
    import dataclasses

    from apps.core.event_handlers import USERS_READ

    return dataclasses.replace(USERS_READ.consumer, name=CONSUMER_NAME)


# --- output ------------------------------------------------------------------------------------

STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {text}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


# --- measuring where the time goes -------------------------------------------------------------

TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def sql_kind(sql: str) -> str:
    head = sql.lstrip().split(None, 1)[0].upper()
    if head in {"SAVEPOINT", "RELEASE", "ROLLBACK"}:
        return "SAVEPOINT/RELEASE"
    match = TABLE.search(sql)
    kind = f"{head} {match.group(1)}" if match else head
    if head == "SELECT" and "FOR UPDATE" in sql.upper():
        kind += " FOR UPDATE"
    return kind


class SqlTimer:
    """Counts and times every statement of one connection (by kind), and its commits."""

    def __init__(self) -> None:
        self.stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = self.stats[sql_kind(sql)]
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    @contextmanager
    def installed(self) -> Iterator[None]:
        from django.db import connections

        conn = connections["default"]
        original = conn.commit

        def commit() -> None:
            started = time.perf_counter()
            try:
                original()
            finally:
                entry = self.stats["COMMIT"]
                entry[0] += 1
                entry[1] += time.perf_counter() - started

        conn.commit = commit  # type: ignore[method-assign]
        try:
            with conn.execute_wrapper(self):
                yield
        finally:
            del conn.commit

    def snapshot(self, reset: bool = False) -> dict[str, list[float]]:
        out = {kind: [int(n), t] for kind, (n, t) in self.stats.items()}
        if reset:
            self.stats.clear()
        return out


def timed_dispatcher(**kwargs: Any) -> Any:
    """An OutboxDispatcher whose phases (claim, publish, the rest) are timed; behaviour unchanged."""
    from apps.outbox.dispatcher import OutboxDispatcher

    class TimedDispatcher(OutboxDispatcher):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.times: dict[str, float] = defaultdict(float)
            self.batches = 0
            self.events = 0
            publish = self.publisher.publish

            def timed_publish(*args: Any, **kw2: Any) -> Any:
                started = time.perf_counter()
                try:
                    return publish(*args, **kw2)
                finally:
                    self.times["publish (json, send, await confirms)"] += time.perf_counter() - started

            self.publisher.publish = timed_publish  # type: ignore[method-assign]

        def dispatch_batch(self) -> Any:
            started = time.perf_counter()
            result = super().dispatch_batch()
            self.times["batch total"] += time.perf_counter() - started
            self.batches += 1
            self.events += result.published
            return result

        def _claim(self, now: datetime) -> Any:
            started = time.perf_counter()
            try:
                return super()._claim(now)
            finally:
                self.times["claim (2 SELECT ... FOR UPDATE)"] += time.perf_counter() - started

    return TimedDispatcher(**kwargs)


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_group(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by the named processes, PostgreSQL and RabbitMQ (all their processes)."""
    out = {name: process_cpu_seconds(pid) for name, pid in pids.items()}
    groups = {"postgresql": ("postgres",), "rabbitmq": ("beam.smp", "erl_child_setup", "epmd")}
    for group, names in groups.items():
        total = 0.0
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                comm = (proc / "comm").read_text().strip()
            except OSError:
                continue
            if comm in names:
                total += process_cpu_seconds(int(proc.name))
        out[group] = total
    return out


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class CpuWindow:
    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start_groups = cpu_by_group(pids)
        self.start_machine = machine_cpu()
        self.started = time.monotonic()

    def finish(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        groups = cpu_by_group(self.pids)
        busy0, total0 = self.start_machine
        busy1, total1 = machine_cpu()
        busy = (busy1 - busy0) / max(1, total1 - total0)
        cores = {name: (groups[name] - self.start_groups.get(name, 0.0)) / elapsed for name in groups}
        cores["everything else"] = max(0.0, busy * (os.cpu_count() or 1) - sum(cores.values()))
        return {"elapsed": elapsed, "machine_busy": busy, "cores_used": cores}


def background_load(seconds: float = 1.0) -> float:
    """Cores busy before the benchmark starts: anything else running skews the figures."""
    busy0, total0 = machine_cpu()
    time.sleep(seconds)
    busy1, total1 = machine_cpu()
    return (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1)


def format_cpu(window: dict[str, Any]) -> str:
    parts = ", ".join(f"{name} {cores:.2f}" for name, cores in window["cores_used"].items())
    return f"machine {window['machine_busy'] * 100:.0f}% busy; cores used: {parts}"


# --- roles run in child processes --------------------------------------------------------------


def emit(tag: str, payload: Any) -> None:
    sys.stdout.write(f"{tag} {json.dumps(payload)}\n")
    sys.stdout.flush()


def consumer_role() -> int:
    """The users_read consumer in its own process; SIGUSR1 prints (and resets) its stats, SIGTERM stops it."""
    setup_django()
    from apps.messaging import broker
    from apps.messaging import inbox as consumers_module
    from apps.messaging.runner import ConsumerRunner

    flags = {"stop": False, "dump": False}
    signal.signal(signal.SIGTERM, lambda *_: flags.update(stop=True))
    signal.signal(signal.SIGINT, lambda *_: flags.update(stop=True))
    signal.signal(signal.SIGUSR1, lambda *_: flags.update(dump=True))

    window: dict[str, Any] = {"handled": 0, "deliver": 0.0, "handle": 0.0, "first": None, "last": None}

    def timed(function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                window["deliver"] += time.perf_counter() - started

        return wrapper

    consumers_module.deliver = timed(consumers_module.deliver)  # type: ignore[assignment]
    consumers_module.deliver_batch = timed(consumers_module.deliver_batch)  # type: ignore[assignment]

    class TimedRunner(ConsumerRunner):
        def _flush(self) -> None:
            started, before = time.perf_counter(), self.handled
            try:
                super()._flush()
            finally:
                if self.handled != before:
                    now = time.perf_counter()
                    window["handle"] += now - started
                    window["handled"] += self.handled - before
                    window["first"] = window["first"] or started
                    window["last"] = now

    timer = SqlTimer()

    def should_stop() -> bool:
        if flags["dump"]:
            flags["dump"] = False
            span = (window["last"] - window["first"]) if window["first"] else 0.0
            emit(
                "STATS",
                {
                    **{k: v for k, v in window.items() if k not in ("first", "last")},
                    "span": span,
                    "sql": timer.snapshot(reset=True),
                },
            )
            window.update(handled=0, deliver=0.0, handle=0.0, first=None, last=None)
        return flags["stop"]

    runner = TimedRunner([bench_consumer()])
    with timer.installed(), broker.connection(connect_timeout=3) as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        runner.declare(conn)
        emit("READY", {"pid": os.getpid()})
        runner.run(conn, should_stop=should_stop, poll=0.05)
    return 0


def dispatcher_role() -> int:
    """A dispatcher process woken by a byte on stdin (the on_commit kick) or every second (beat)."""
    setup_django()
    from django.db import close_old_connections

    from apps.messaging.publisher import BrokerUnavailable

    dispatcher = timed_dispatcher()
    timer = SqlTimer()
    fd = sys.stdin.fileno()
    drains = kicks = ticks = 0
    with timer.installed():
        while True:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                data = os.read(fd, 65536)
                if not data:
                    break
                kicks += len(data)
            else:
                ticks += 1
            close_old_connections()
            try:
                dispatcher.dispatch_pending()
            except BrokerUnavailable as exc:
                print(f"dispatcher: broker unavailable: {exc}", file=sys.stderr, flush=True)
            drains += 1
    dispatcher.publisher.close()
    emit(
        "STATS",
        {
            "drains": drains,
            "kicks": kicks,
            "ticks": ticks,
            "batches": dispatcher.batches,
            "events": dispatcher.events,
            "times": dict(dispatcher.times),
            "sql": timer.snapshot(),
        },
    )
    return 0


def drain_once_role() -> int:
    """One dispatcher that drains everything pending once, on a byte on stdin (so several start together)."""
    setup_django()
    dispatcher = timed_dispatcher()
    dispatcher.publisher.ensure_connected()
    timer = SqlTimer()
    emit("READY", {"pid": os.getpid()})
    os.read(sys.stdin.fileno(), 1)
    with timer.installed():
        published = dispatcher.dispatch_pending()
    finished = time.time()
    dispatcher.publisher.close()
    emit(
        "STATS",
        {
            "published": published,
            "finished": finished,
            "batches": dispatcher.batches,
            "times": dict(dispatcher.times),
            "sql": timer.snapshot(),
        },
    )
    return 0


def drain_in_parallel(
    dispatchers: int, pids: dict[str, int] | None = None, on_go: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Drain everything pending with ``dispatchers`` processes started together; their figures summed.

    ``on_go`` runs at the moment they are told to start (after their start-up, which is not timed).
    """
    children = [Child("drain-once", stdin=True) for _ in range(dispatchers)]
    try:
        for child in children:
            child.wait_for("READY")
        cpu = CpuWindow({**{f"dispatcher {n + 1}": c.proc.pid for n, c in enumerate(children)}, **(pids or {})})
        went = time.time()
        if on_go is not None:
            on_go()
        for child in children:
            child.kick()  # go
        stats = [child.wait_for("STATS", timeout=600) for child in children]
        window = cpu.finish()
    finally:
        for child in children:
            child.stop()
    times: dict[str, float] = defaultdict(float)
    sql: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for item in stats:
        for name, value in item["times"].items():
            times[name] += value
        for kind, (n, t) in item["sql"].items():
            sql[kind][0] += n
            sql[kind][1] += t
    total = sum(item["published"] for item in stats)
    seconds = max(item["finished"] for item in stats) - went
    return {
        "dispatchers": dispatchers,
        "published": total,
        "each": [item["published"] for item in stats],
        "seconds": seconds,
        "rate": total / seconds,
        "batches": sum(item["batches"] for item in stats),
        "times": dict(times),
        "sql": dict(sql),
        "cpu": window,
    }


class Child:
    """A child process of this script in a role, speaking tagged JSON lines on stdout."""

    def __init__(self, role: str, *, stdin: bool = False) -> None:
        env = {**os.environ, "BENCH_CHILD": "1", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--role", role],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=str(BASE_DIR),
        )
        self.messages: dict[str, list[Any]] = defaultdict(list)
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if stdin:
            assert self.proc.stdin is not None
            self.kick_fd = self.proc.stdin.fileno()
            os.set_blocking(self.kick_fd, False)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            tag, _, rest = line.strip().partition(" ")
            if tag in {"READY", "STATS"}:
                with self._arrived:
                    self.messages[tag].append(json.loads(rest))
                    self._arrived.notify_all()
            elif line.strip():
                print(f"    ({tag.lower()} child) {line.rstrip()}", flush=True)

    def wait_for(self, tag: str, count: int = 1, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages[tag]) < count:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the {tag} child exited with status {self.proc.returncode}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {tag} from a child within {timeout:g} s")
                self._arrived.wait(min(left, 0.5))
            return self.messages[tag][count - 1]

    def kick(self) -> None:
        with suppress(BlockingIOError):  # the pipe is full: the dispatcher has kicks enough waiting
            os.write(self.kick_fd, b"k")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)


# --- services: the database and the broker -----------------------------------------------------


def admin_dsn(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"bench_outbox: refusing to drop and recreate {name!r}: its name must contain 'bench'")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_database(database_url: str) -> None:
    import psycopg

    dsn, name = admin_dsn(database_url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(database_url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    dsn, name = admin_dsn(database_url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clean_broker(queue_names: list[str]) -> None:
    """Delete the benchmark's queues and exchanges (leftovers of an earlier, interrupted run too)."""
    from amqp.exceptions import NotFound

    from apps.messaging import broker

    with broker.connection(connect_timeout=3) as conn:
        for name in queue_names:
            with suppress(NotFound):
                conn.default_channel.queue_delete(name)
        for name in (EXCHANGE, DEAD_LETTER_EXCHANGE):
            with suppress(NotFound):
                conn.default_channel.exchange_delete(name)


# --- the workload ------------------------------------------------------------------------------


def build_entries(users: int, per_user: int, seed: int = 7) -> list[Any]:
    """users x per_user outbox rows: users.user_registered then profile updates, interleaved across users."""
    from apps.outbox.models import OutboxEntry

    rng = random.Random(seed)
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(users)]
    order = [index for index in range(users) for _ in range(per_user)]
    rng.shuffle(order)  # a user's events stay in version order; users interleave as real traffic does
    versions = [0] * users
    base = datetime.now(UTC) - timedelta(hours=1)
    entries = []
    for position, index in enumerate(order):
        versions[index] += 1
        version = versions[index]
        user_id = ids[index]
        if version == 1:
            event_type = "users.user_registered"
            payload = {"user_id": str(user_id), "email": f"user{index}@example.com", "display_name": f"User {index}"}
        else:
            event_type = "users.user_profile_updated"
            payload = {"user_id": str(user_id), "display_name": f"User {index} (edit {version - 1})"}
        entries.append(
            OutboxEntry(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                aggregate_type="users.user",
                aggregate_id=user_id,
                aggregate_version=version,
                event_type=event_type,
                event_version=1,
                payload=payload,
                occurred_at=base + timedelta(milliseconds=position),
                correlation_id=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
            )
        )
    return entries


def raw_publish(bodies: list[tuple[bytes, str, str]], batch_size: int) -> dict[str, Any]:
    """Publish persistent messages in batches, awaiting each batch's confirms together (py-amqp)."""
    import amqp
    from amqp import spec
    from kombu import Queue

    from apps.messaging import broker

    with broker.connection(connect_timeout=3) as conn:
        channel = conn.default_channel
        exchange = broker.events_exchange()
        exchange(channel).declare()
        queue = Queue(RAW_QUEUE, exchange=exchange, routing_key="users.#", durable=True)
        queue(channel).declare()
        queue(channel).purge()
        channel.confirm_select()
        acked: set[int] = set()
        nacked: set[int] = set()
        first = {"tag": 1}

        def tags(tag: int, multiple: bool) -> range | tuple[int]:
            return range(first["tag"], tag + 1) if multiple else (tag,)

        channel.events["basic_ack"].add(lambda tag, multiple: acked.update(tags(tag, multiple)))
        channel.events["basic_nack"].add(lambda tag, multiple: nacked.update(tags(tag, multiple)))
        next_tag = 1
        report_every, last_report = 2.0, time.monotonic()
        cpu = CpuWindow({"publisher (this process)": os.getpid()})
        started = time.perf_counter()
        for offset in range(0, len(bodies), batch_size):
            batch_tags = []
            first["tag"] = next_tag
            for body, routing_key, message_id in bodies[offset : offset + batch_size]:
                message = amqp.Message(
                    body,
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=broker.DELIVERY_PERSISTENT,
                    message_id=message_id,
                )
                channel._basic_publish(message, exchange=exchange.name, routing_key=routing_key)
                batch_tags.append(next_tag)
                next_tag += 1
            while not all(tag in acked or tag in nacked for tag in batch_tags):
                channel.wait([spec.Basic.Ack, spec.Basic.Nack], timeout=10)
            acked.clear()
            if time.monotonic() - last_report >= report_every:
                last_report = time.monotonic()
                done = offset + len(batch_tags)
                say(f"  raw: {done:,} published, {done / (time.perf_counter() - started):,.0f} msg/s")
        elapsed = time.perf_counter() - started
        window = cpu.finish()
        depth = queue(channel).queue_declare(passive=True).message_count
        queue(channel).delete()
    return {
        "messages": len(bodies),
        "seconds": elapsed,
        "rate": len(bodies) / elapsed,
        "nacked": len(nacked),
        "queued": depth,
        "cpu": window,
    }


def count(sql: str, params: Any = ()) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def drain_phase(entries: list[Any], consumer: Child, dispatchers: int, e2e_timeout: float) -> dict[str, Any]:
    """``dispatchers`` processes drain the rows while the consumer projects them; then wait for the projection."""
    from django.db import connection

    total = len(entries)
    done = threading.Event()
    marks: dict[str, float] = {}
    windows: dict[str, CpuWindow] = {}

    def watch() -> None:
        """Progress every 2 s; the end-to-end finish (all projected) is read from the inbox afterwards."""
        last = time.monotonic()
        try:
            while not done.is_set():
                # Seldom: a count over the growing inbox costs PostgreSQL CPU the drain competes for.
                time.sleep(1.0)
                projected = count("SELECT count(*) FROM inbox WHERE consumer = %s", [CONSUMER_NAME])
                if projected >= total:
                    marks["all_projected_seen"] = time.time()
                    return
                if time.monotonic() - last >= 2.0:
                    last = time.monotonic()
                    pending = count("SELECT count(*) FROM outbox WHERE status = 'pending'")
                    elapsed = time.time() - marks["start"]
                    say(
                        f"  drain: {total - pending:,}/{total:,} published ({(total - pending) / elapsed:,.0f}/s), "
                        f"{projected:,} projected ({projected / elapsed:,.0f}/s)"
                    )
        finally:
            connection.close()

    watcher = threading.Thread(target=watch, daemon=True)

    def go() -> None:
        marks["start"] = time.time()
        windows["e2e"] = CpuWindow({"consumer": consumer.proc.pid})
        watcher.start()

    drained = drain_in_parallel(dispatchers, {"consumer": consumer.proc.pid}, on_go=go)
    published, drain_seconds, drain_cpu = drained["published"], drained["seconds"], drained["cpu"]
    if left := count("SELECT count(*) FROM outbox WHERE status = 'pending'"):
        raise RuntimeError(f"{left:,} outbox rows are still pending after the drain")
    say(f"  drain: all {published:,} published in {drain_seconds:.2f} s; waiting for the projection")
    watcher.join(timeout=max(1.0, e2e_timeout - (time.time() - marks["start"])))
    done.set()
    e2e_cpu = windows["e2e"].finish()
    complete = "all_projected_seen" in marks
    if not complete:
        say(
            f"  drain: the projection is not done after {e2e_timeout:g} s; the end-to-end rate is partial, "
            "and the rest of the queue is purged so the lag phase starts clean"
        )
        watcher.join()
        from apps.messaging import broker

        with broker.connection(connect_timeout=3) as conn:
            bench_consumer().queue(dead_letters=True)(conn.default_channel).purge()
        previous = -1
        while (now := count("SELECT count(*) FROM inbox WHERE consumer = %s", [CONSUMER_NAME])) != previous:
            previous = now
            time.sleep(1.0)
    consumer.proc.send_signal(signal.SIGUSR1)
    consumer_stats = consumer.wait_for("STATS", 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM max(processed_at)) FROM inbox WHERE consumer = %s", [CONSUMER_NAME])
        last_projected = float(cursor.fetchone()[0])
    e2e_seconds = last_projected - marks["start"]
    projected = count("SELECT count(*) FROM inbox WHERE consumer = %s", [CONSUMER_NAME])
    full = count("SELECT count(*) FROM users_read WHERE version = %s", [max(e.aggregate_version for e in entries)])
    return {
        "events": total,
        "dispatchers": dispatchers,
        "each": drained["each"],
        "published": published,
        "drain_seconds": drain_seconds,
        "drain_rate": published / drain_seconds,
        "e2e_seconds": e2e_seconds,
        "e2e_rate": projected / e2e_seconds,
        "e2e_complete": complete,
        "projected": projected,
        "users_complete": full,
        "batches": drained["batches"],
        "times": drained["times"],
        "sql": drained["sql"],
        "consumer": consumer_stats,
        "cpu_drain": drain_cpu,
        "cpu_e2e": e2e_cpu,
    }


def drain_alone_phase(dispatchers: int) -> dict[str, Any]:
    """Diagnostic: the same rows drained again with no consumer at work (its queue unbound).

    Once by one dispatcher, then by ``dispatchers`` at once (unless that is one). Beside the
    headline drain, this tells the dispatcher's own cost from the cost of sharing two cores with
    the consumer (and with RabbitMQ delivering to it), and what draining in parallel (SKIP LOCKED,
    streams claimed by their head) adds. The queue depth afterwards shows whether any event was
    published twice.
    """
    from django.db import connection
    from kombu import Queue

    from apps.messaging import broker

    consumer_queue = bench_consumer().queue_name
    exchange = broker.events_exchange()
    queue = Queue(RAW_QUEUE, exchange=exchange, routing_key="users.#", durable=True)

    def reset() -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE outbox SET status = 'pending', processed_at = NULL")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE outbox")
        with broker.connection(connect_timeout=3) as conn:
            queue(conn.default_channel).declare()
            queue(conn.default_channel).purge()

    def depth() -> int:
        with broker.connection(connect_timeout=3) as conn:
            return int(queue(conn.default_channel).queue_declare(passive=True).message_count)

    runs: dict[int, dict[str, Any]] = {}
    with broker.connection(connect_timeout=3) as conn:
        conn.default_channel.queue_unbind(consumer_queue, exchange.name, routing_key="users.#")
    try:
        for n in sorted({1, dispatchers}):
            reset()
            run = drain_in_parallel(n)
            run["queued"] = depth()
            runs[n] = run
            say(
                f"  drain alone, {n} dispatcher(s): {run['rate']:,.0f} events/s ({run['seconds']:.2f} s), "
                f"{run['queued'] - run['published']:+,} messages beyond the events published"
            )
    finally:
        with broker.connection(connect_timeout=3) as conn:
            conn.default_channel.queue_bind(consumer_queue, exchange.name, routing_key="users.#")
            with suppress(Exception):
                queue(conn.default_channel).delete()
    return {"one": runs[1], "many": runs[dispatchers]}


def lag_phase(consumer: Child, *, rate: float, seconds: float, pool_size: int, writers: int) -> dict[str, Any]:
    import structlog
    from django.db import connection

    from apps.core.composition import command_bus
    from domain.kernel.result import Ok
    from domain.users.commands import RegisterUser, UpdateProfile

    dispatcher = Child("dispatcher", stdin=True)
    bus = command_bus()
    lock = threading.Lock()
    outstanding: dict[uuid.UUID, list[tuple[int, float]]] = defaultdict(list)  # user -> [(version, commit time)]
    lags: list[tuple[uuid.UUID, int, float, float]] = []  # (user, version, committed, visible)
    errors: list[str] = []
    run_id = uuid.uuid4().hex[:8]

    def run(command: Any) -> Any:
        with structlog.contextvars.bound_contextvars(correlation_id=uuid.uuid4().hex):
            result = bus.dispatch(command)
        committed = time.time()
        if not isinstance(result, Ok):
            errors.append(f"{type(command).__name__}: {result.error}")
            return None
        user = result.value
        with lock:
            outstanding[user.id].append((user.version, committed))
        dispatcher.kick()
        return user

    stop_observing = threading.Event()

    def observe() -> None:
        """Every 5 ms: which outstanding (user, version) pairs are now visible in users_read."""
        try:
            with connection.cursor() as cursor:
                while True:
                    with lock:
                        ids = list(outstanding)
                    if not ids:
                        if stop_observing.is_set():
                            return
                        time.sleep(0.005)
                        continue
                    cursor.execute("SELECT id, version FROM users_read WHERE id = ANY(%s)", [ids])
                    seen = time.time()
                    with lock:
                        for user_id, version in cursor.fetchall():
                            waiting = outstanding.get(user_id)
                            if not waiting:
                                continue
                            still = [(v, t) for v, t in waiting if v > version]
                            lags.extend((user_id, v, t, seen) for v, t in waiting if v <= version)
                            if still:
                                outstanding[user_id] = still
                            else:
                                del outstanding[user_id]
                    time.sleep(0.005)
        finally:
            connection.close()

    observer = threading.Thread(target=observe, daemon=True)
    observer.start()
    try:
        # Warm-up: the pool of users the steady phase updates (their events flow through the pipeline too).
        say(f"  lag: registering {pool_size} users for the steady phase (warm-up)")
        pool: list[uuid.UUID] = []
        for index in range(pool_size):
            user = run(
                RegisterUser(
                    email=f"pool{index}-{run_id}@example.com",
                    password=secrets.token_urlsafe(16),
                    display_name=f"Pool {index}",
                )
            )
            if user is not None:
                pool.append(user.id)
        deadline = time.monotonic() + 60
        while outstanding and time.monotonic() < deadline:
            time.sleep(0.05)
        with lock:
            lags.clear()
        consumer.proc.send_signal(signal.SIGUSR1)
        consumer.wait_for("STATS", 2)

        say(
            f"  lag: steady phase, {rate:g} commands/s for {seconds:g} s "
            f"(10% RegisterUser, 90% UpdateProfile; {writers} writer threads)"
        )
        cpu = CpuWindow(
            {
                "writers+observer (this process)": os.getpid(),
                "dispatcher": dispatcher.proc.pid,
                "consumer": consumer.proc.pid,
            }
        )
        start = time.monotonic() + 0.2
        per_writer = rate / writers
        sent = [0] * writers
        behind = [0.0] * writers
        pool_lock = threading.Lock()

        def writer(number: int) -> None:
            rng = random.Random(number)
            try:
                i = 0
                while True:
                    due = start + (i + number / writers) / per_writer
                    if due - start >= seconds:
                        return
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    else:
                        behind[number] = max(behind[number], -pause)
                    if rng.random() < 0.1:
                        user = run(
                            RegisterUser(
                                email=f"w{number}-{i}-{run_id}@example.com",
                                password=secrets.token_urlsafe(16),
                                display_name=f"Writer {number}",
                            )
                        )
                        if user is not None:
                            with pool_lock:
                                pool.append(user.id)
                    else:
                        with pool_lock:
                            target = rng.choice(pool)
                        run(UpdateProfile(user_id=target, display_name=f"Name {number}-{i} {rng.random():.6f}"))
                    sent[number] += 1
                    i += 1
            finally:
                connection.close()

        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(writers)]
        for thread in threads:
            thread.start()
        last = time.monotonic()
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.2)
            if time.monotonic() - last >= 2.0:
                last = time.monotonic()
                with lock:
                    recent = [(v - t) * 1000 for _, _, t, v in lags[-400:]]
                    waiting = sum(len(v) for v in outstanding.values())
                say(
                    f"  lag: {sum(sent):,} commands ({sum(sent) / (time.monotonic() - start):,.0f}/s), "
                    f"{waiting} awaiting projection, recent p50 {percentile(recent, 0.5):.0f} ms, "
                    f"p99 {percentile(recent, 0.99):.0f} ms"
                )
        elapsed = time.monotonic() - start
        deadline = time.monotonic() + 60
        while outstanding and time.monotonic() < deadline:
            time.sleep(0.05)
        cpu_window = cpu.finish()
    finally:
        stop_observing.set()
        with lock:
            unfinished = sum(len(v) for v in outstanding.values())
            outstanding.clear()
        observer.join(10)
        dispatcher.stop()
    consumer.proc.send_signal(signal.SIGUSR1)
    consumer_stats = consumer.wait_for("STATS", 3)
    dispatcher_stats = dispatcher.wait_for("STATS", 1)

    # Where the lag goes, per event: commit -> published (outbox.processed_at) -> consumed (inbox) -> visible.
    from apps.messaging.models import InboxEntry
    from apps.outbox.models import OutboxEntry

    by_key = {(user_id, version): (committed, visible) for user_id, version, committed, visible in lags}
    rows = OutboxEntry.objects.filter(aggregate_id__in={u for u, _ in by_key}).values_list(
        "id", "aggregate_id", "aggregate_version", "processed_at"
    )
    published_at = {event_id: ((user_id, version), processed) for event_id, user_id, version, processed in rows}
    inbox = dict(
        InboxEntry.objects.filter(consumer=CONSUMER_NAME, event_id__in=list(published_at)).values_list(
            "event_id", "processed_at"
        )
    )
    parts: dict[str, list[float]] = defaultdict(list)
    for event_id, (key, processed) in published_at.items():
        if key not in by_key or processed is None or event_id not in inbox:
            continue
        committed, visible = by_key[key]
        handled = inbox[event_id].timestamp()
        parts["commit -> published (dispatcher)"].append((processed.timestamp() - committed) * 1000)
        parts["published -> consumer picks it up"].append((handled - processed.timestamp()) * 1000)
        parts["consumer -> visible (+ poll)"].append((visible - handled) * 1000)
    values = [(visible - committed) * 1000 for _, _, committed, visible in lags]
    return {
        "commands": sum(sent),
        "seconds": elapsed,
        "rate": sum(sent) / elapsed,
        "max_behind_s": max(behind),
        "events_measured": len(values),
        "unfinished": unfinished,
        "errors": errors[:5],
        "error_count": len(errors),
        "p50": percentile(values, 0.5),
        "p90": percentile(values, 0.9),
        "p99": percentile(values, 0.99),
        "max": max(values) if values else float("nan"),
        "parts": {name: (percentile(v, 0.5), percentile(v, 0.99)) for name, v in parts.items()},
        "cpu": cpu_window,
        "consumer": consumer_stats,
        "dispatcher": dispatcher_stats,
    }


# --- reporting ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def service_versions() -> dict[str, str]:
    from django.db import connection

    from apps.messaging import broker

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
    with broker.connection(connect_timeout=3) as conn:
        conn.ensure_connection(max_retries=1)
        props = conn.connection.server_properties
        rabbit = props.get("version", "?")
        rabbit = rabbit.decode() if isinstance(rabbit, bytes) else str(rabbit)
    return {"postgresql": f"{pg} (synchronous_commit={sync})", "rabbitmq": rabbit}


def print_breakdown(title: str, times: dict[str, float], batches: int, events: int) -> None:
    total = times.get("batch total", 0.0)
    say(f"  {title}: {batches} batches, {events:,} events, {total:.2f} s in dispatch_batch")
    claim = times.get("claim (2 SELECT ... FOR UPDATE)", 0.0)
    publish = times.get("publish (json, send, await confirms)", 0.0)
    rest = total - claim - publish
    for name, value in (
        ("claim (2 SELECT ... FOR UPDATE)", claim),
        ("publish (json, send, await confirms)", publish),
        ("envelopes, mark UPDATE, commit, exchange declare", rest),
    ):
        per_batch = value / max(1, batches) * 1000
        per_event = value / max(1, events) * 1e6
        say(
            f"    {name:<50} {value:7.2f} s {value / max(total, 1e-9) * 100:5.1f}%  "
            f"{per_batch:7.2f} ms/batch  {per_event:6.1f} us/event"
        )


def print_sql(title: str, sql: dict[str, list[float]], per: int, unit: str) -> None:
    total = sum(t for _, t in sql.values())
    say(f"  {title}: {total:.2f} s in SQL round trips")
    for kind, (n, t) in sorted(sql.items(), key=lambda item: -item[1][1]):
        say(
            f"    {kind:<42} {n:8,} x {t / max(1, n) * 1000:6.3f} ms = {t:6.2f} s  "
            f"({n / max(1, per):.2f}/{unit}, {t / max(1, per) * 1e6:6.1f} us/{unit})"
        )


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--role", choices=["consumer", "dispatcher", "drain-once"], help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=10_000, help="aggregates in the drain phase (default 10,000)")
    parser.add_argument("--per-user", type=int, default=5, help="events per aggregate (default 5)")
    parser.add_argument(
        "--raw", type=int, default=None, help="messages in the raw baseline (default: as many as events)"
    )
    parser.add_argument("--rate", type=float, default=200.0, help="commands/s in the lag phase (default 200)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the steady lag phase (default 20)")
    parser.add_argument("--pool", type=int, default=500, help="users registered before the lag phase (default 500)")
    parser.add_argument(
        "--dispatchers",
        type=int,
        default=2,
        help="dispatcher processes draining at once (default 2: a worker's default concurrency on 2 cores)",
    )
    parser.add_argument("--writers", type=int, default=2, help="writer threads in the lag phase (default 2)")
    parser.add_argument(
        "--e2e-timeout",
        type=float,
        default=240.0,
        help="seconds to wait for the projection to catch up in the drain phase (default 240)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and broker objects afterwards")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()

    database_url, broker_url = configure_environment()
    if args.role == "consumer":
        return consumer_role()
    if args.role == "dispatcher":
        return dispatcher_role()
    if args.role == "drain-once":
        return drain_once_role()

    db, mq = urlsplit(database_url), urlsplit(broker_url)
    say(f"bench-outbox: PostgreSQL {db.hostname}:{db.port or 5432}{db.path}, RabbitMQ {mq.hostname}:{mq.port or 5672}")
    idle_load = background_load()
    say(
        f"setup: {idle_load:.2f} of {os.cpu_count()} cores busy before starting"
        + (
            "  -- WARNING: other work is running; the figures will be lower than the machine can do"
            if idle_load > 0.2
            else ""
        )
    )
    say("setup: recreating the database and running the migrations")
    recreate_database(database_url)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from apps.outbox.dispatcher import envelope
    from apps.outbox.models import OutboxEntry

    call_command("migrate", verbosity=0, interactive=False)
    queues = [RAW_QUEUE, bench_consumer().queue_name]
    clean_broker(queues)
    batch_size = settings.OUTBOX_BATCH_SIZE
    total = args.users * args.per_user
    versions = service_versions()
    consumer: Child | None = None
    results: dict[str, Any] = {
        "machine": machine(),
        "services": versions,
        "batch_size": batch_size,
        "background_cores": idle_load,
    }
    try:
        say(f"setup: building {total:,} envelopes ({args.users:,} users x {args.per_user} events)")
        entries = build_entries(args.users, args.per_user)
        bodies = [(json.dumps(envelope(e), separators=(",", ":")).encode(), e.event_type, str(e.id)) for e in entries]
        raw_n = args.raw or total
        bodies = (bodies * (raw_n // len(bodies) + 1))[:raw_n]
        mean_size = sum(len(b) for b, _, _ in bodies) / len(bodies)
        results["envelope_bytes"] = mean_size

        say(
            f"1/3 raw baseline: {raw_n:,} persistent messages ({mean_size:.0f} B mean), "
            f"batches of {batch_size} with publisher confirms"
        )
        raw = raw_publish(bodies, batch_size)
        results["raw"] = raw
        say(
            f"  raw: {raw['rate']:,.0f} msg/s ({raw['seconds']:.2f} s, {raw['queued']:,} queued, "
            f"{raw['nacked']} nacked)"
        )

        say("2/3 drain: starting the users_read consumer process")
        consumer = Child("consumer")
        say(f"  drain: inserting {total:,} pending outbox rows (bulk_create)")
        started = time.perf_counter()
        OutboxEntry.objects.bulk_create(entries, batch_size=2000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE outbox")
        say(f"  drain: inserted in {time.perf_counter() - started:.1f} s")
        consumer.wait_for("READY")
        say(
            f"  drain: dispatch_pending() in {args.dispatchers} dispatcher process(es) at once, "
            "with the consumer projecting concurrently"
        )
        drain = drain_phase(entries, consumer, args.dispatchers, args.e2e_timeout)
        results["drain"] = drain
        say(
            f"  drain: {drain['drain_rate']:,.0f} events/s to RabbitMQ; end to end {drain['e2e_rate']:,.0f} "
            f"events/s ({drain['users_complete']:,} of {args.users:,} users at version {args.per_user})"
        )
        del entries, bodies

        say("2b  diagnostic: the same rows drained again with no consumer at work (its queue unbound)")
        results["drain_alone"] = drain_alone_phase(args.dispatchers)

        say("3/3 lag: dispatcher process (kicked on commit, 1 s tick) + the consumer process")
        lag = lag_phase(consumer, rate=args.rate, seconds=args.seconds, pool_size=args.pool, writers=args.writers)
        results["lag"] = lag
    finally:
        if consumer is not None:
            consumer.stop()
        if not args.keep:
            try:
                clean_broker(queues)
            finally:
                drop_database(database_url)

    report(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    raw, drain, lag = results["raw"], results["drain"], results["lag"]
    ratio = drain["drain_rate"] / raw["rate"]
    results["ratio"] = ratio
    print()
    say("where the time goes -- raw baseline")
    say(f"  CPU publishing raw:   {format_cpu(raw['cpu'])}")
    print()
    say("where the time goes -- drain phase")
    dispatchers = f"{drain['dispatchers']} dispatcher(s), summed"
    print_breakdown(dispatchers, drain["times"], drain["batches"], drain["published"])
    print_sql(f"{dispatchers}, SQL", drain["sql"], drain["batches"], "batch")
    c = drain["consumer"]
    say(
        f"  consumer: {c['handled']:,} messages in {c['span']:.2f} s ({c['handled'] / max(c['span'], 1e-9):,.0f}/s); "
        f"{c['handle'] / max(1, c['handled']) * 1e6:.0f} us/message in handle_message, "
        f"{c['deliver'] / max(1, c['handled']) * 1e6:.0f} us delivering (inbox + projection + commit)"
    )
    print_sql("consumer SQL", c["sql"], c["handled"], "msg")
    say(f"  CPU while draining:   {format_cpu(drain['cpu_drain'])}")
    one, many = results["drain_alone"]["one"], results["drain_alone"]["many"]
    print_breakdown("1 dispatcher, no consumer at work", one["times"], one["batches"], one["published"])
    say(f"  CPU, 1 dispatcher alone:    {format_cpu(one['cpu'])}")
    if many["dispatchers"] > 1:
        say(f"  CPU, {many['dispatchers']} dispatchers alone:  {format_cpu(many['cpu'])}")
    say(f"  CPU until projected:  {format_cpu(drain['cpu_e2e'])}")
    print()
    say("where the time goes -- lag phase")
    for name, (p50, p99) in lag["parts"].items():
        say(f"    {name:<40} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    d = lag["dispatcher"]
    say(
        f"  dispatcher: {d['drains']:,} drains ({d['kicks']:,} kicks, {d['ticks']} ticks), {d['batches']:,} batches, "
        f"{d['events']:,} events ({d['events'] / max(1, d['batches']):.1f}/batch)"
    )
    print_breakdown("dispatcher", d["times"], d["batches"], d["events"])
    print_sql("dispatcher SQL", d["sql"], d["batches"], "batch")
    c = lag["consumer"]
    per_message = c["deliver"] / max(1, c["handled"]) * 1e6
    say(f"  consumer: {c['handled']:,} messages, {per_message:.0f} us/message delivering")
    print_sql("consumer SQL", c["sql"], c["handled"], "msg")
    say(f"  CPU: {format_cpu(lag['cpu'])}")

    m, s = results["machine"], results["services"]
    print()
    print("=" * 100)
    print("bench-outbox results")
    print(
        f"  machine     nproc={m['nproc']}, CPU {m['cpu']}, memory {m['memory']}, Linux {m['kernel']}, "
        f"Python {m['python']}"
    )
    print(f"  background  {results['background_cores']:.2f} cores busy before the run (other processes)")
    print(f"  services    PostgreSQL {s['postgresql']}, RabbitMQ {s['rabbitmq']} (localhost)")
    print(
        f"  settings    OUTBOX_BATCH_SIZE={results['batch_size']}, envelope {results['envelope_bytes']:.0f} B mean, "
        "persistent messages, publisher confirms awaited per batch"
    )
    print(
        f"  raw publish          {raw['rate']:>9,.0f} msg/s     ({raw['messages']:,} messages, {raw['seconds']:.2f} s)"
    )
    print(
        f"  outbox drain         {drain['drain_rate']:>9,.0f} events/s  ({drain['published']:,} events, "
        f"{drain['drain_seconds']:.2f} s, {drain['dispatchers']} dispatcher(s) {drain['each']}, consumer running)"
    )
    print(f"  drain / raw          {ratio * 100:>9.1f} %")
    one, many = results["drain_alone"]["one"], results["drain_alone"]["many"]
    alone = f"1 dispatcher {one['rate']:,.0f} events/s ({one['rate'] / raw['rate'] * 100:.1f} % of raw)"
    if many["dispatchers"] > 1:
        alone += (
            f"; {many['dispatchers']} dispatchers at once {many['rate']:,.0f} events/s "
            f"({many['rate'] / raw['rate'] * 100:.1f} %)"
        )
    print(
        f"  (diagnostic) no consumer at work: {alone}, "
        f"{many['queued'] - many['published']:+,} messages beyond the events published"
    )
    partial = "" if drain["e2e_complete"] else f", PARTIAL: {drain['projected']:,} projected before the time limit"
    print(
        f"  end to end           {drain['e2e_rate']:>9,.0f} events/s  (outbox -> RabbitMQ -> users_read, "
        f"{drain['e2e_seconds']:.2f} s{partial})"
    )
    c = drain["consumer"]
    print(
        f"  users_read consumer  {c['handled'] / max(c['span'], 1e-9):>9,.0f} events/s  "
        f"(one ConsumerRunner process, {c['deliver'] / max(1, c['handled']) * 1e3:.2f} ms per event delivering)"
    )
    print(
        f"  lag (commit -> users_read) p50 {lag['p50']:.0f} ms, p90 {lag['p90']:.0f} ms, p99 {lag['p99']:.0f} ms, "
        f"max {lag['max']:.0f} ms  ({lag['events_measured']:,} events at {lag['rate']:.0f} commands/s "
        f"for {lag['seconds']:.0f} s; {lag['unfinished']} unprojected, {lag['error_count']} rejected)"
    )
    print("  targets")
    print(f"    drain >= {TARGET_DRAIN_RATE:,.0f} events/s       {verdict(drain['drain_rate'] >= TARGET_DRAIN_RATE)}")
    print(f"    drain >= {TARGET_DRAIN_RATIO:.0%} of raw          {verdict(ratio >= TARGET_DRAIN_RATIO)}")
    print(f"    lag p99 <= {TARGET_LAG_P99_MS:.0f} ms           {verdict(lag['p99'] <= TARGET_LAG_P99_MS)}")
    print("  reproduce: make bench-outbox")
    print("=" * 100)


if __name__ == "__main__":
    sys.exit(main())
