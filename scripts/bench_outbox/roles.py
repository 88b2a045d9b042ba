"""The roles run in child processes (consumer, dispatcher, drain-once), and ``Child``, the parent's handle on one.

A child speaks tagged JSON lines on stdout (``READY {...}``, ``STATS {...}``); it is spawned as
``python -m scripts.bench_outbox --role ROLE`` with the parent's environment.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from contextlib import suppress
from typing import Any

from . import project
from .environment import BASE_DIR, bench_consumer, setup_django
from .probes import SqlTimer, timed, timed_dispatcher


def emit(tag: str, payload: Any) -> None:
    sys.stdout.write(f"{tag} {json.dumps(payload)}\n")
    sys.stdout.flush()


def consumer_role() -> int:
    """The users_read consumer in its own process; SIGUSR1 prints (and resets) its stats, SIGTERM stops it.

    ``BENCH_SHARD`` (set by the parent for a sharded run, with ``EVENTS_CONSUMER_SHARDS``): the one shard
    of the consumer's queue this process reads, as ``consume_events --shard K`` does.
    """
    setup_django()
    broker = project.load(project.BROKER)
    inbox = project.load(project.INBOX)
    ConsumerRunner = project.load(project.CONSUMER_RUNNER)

    flags = {"stop": False, "dump": False}
    signal.signal(signal.SIGTERM, lambda *_: flags.update(stop=True))
    signal.signal(signal.SIGINT, lambda *_: flags.update(stop=True))
    signal.signal(signal.SIGUSR1, lambda *_: flags.update(dump=True))

    window: dict[str, Any] = {"handled": 0, "deliver": 0.0, "handle": 0.0, "first": None, "last": None}

    inbox.deliver = timed(inbox.deliver, window, "deliver")  # type: ignore[assignment]
    inbox.deliver_batch = timed(inbox.deliver_batch, window, "deliver")  # type: ignore[assignment]

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

    shard = os.environ.get("BENCH_SHARD")
    runner = TimedRunner([bench_consumer()], only_shards=None if shard is None else [int(shard)])
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

    BrokerUnavailable = project.load(project.BROKER_UNAVAILABLE)

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
    close_and_emit_stats(dispatcher, timer, drains=drains, kicks=kicks, ticks=ticks)
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
    close_and_emit_stats(dispatcher, timer, published=published, finished=finished)
    return 0


def close_and_emit_stats(dispatcher: Any, timer: SqlTimer, **figures: Any) -> None:
    """Close the dispatcher's connection and emit STATS: the role's figures, batches, events, phase times, SQL."""
    dispatcher.publisher.close()
    emit(
        "STATS",
        {
            **figures,
            "batches": dispatcher.batches,
            "events": dispatcher.events,
            "times": dict(dispatcher.times),
            "sql": timer.snapshot(),
        },
    )


class Child:
    """A child process of the benchmark in a role, speaking tagged JSON lines on stdout."""

    def __init__(self, role: str, *, stdin: bool = False, env: dict[str, str] | None = None) -> None:
        env = {**os.environ, "BENCH_CHILD": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", str(__package__), "--role", role],
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

    def stats(self, count: int) -> Any:
        """The consumer role's figures since it was last asked (SIGUSR1), its ``count``-th STATS line."""
        self.proc.send_signal(signal.SIGUSR1)
        return self.wait_for("STATS", count)

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
