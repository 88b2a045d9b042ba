"""Measuring where the time goes: SQL statements by kind, the dispatcher's phases, CPU per process group."""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from . import project

TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)

# The dispatcher's phases, as timed by timed_dispatcher() and reported by report.print_breakdown().
BATCH_TOTAL = "batch total"
CLAIM = "claim (2 SELECT ... FOR UPDATE)"
PUBLISH = "publish (json, send, await confirms)"


def timed(function: Callable[..., Any], totals: dict[str, Any], key: str) -> Callable[..., Any]:
    """``function``, adding the seconds each call takes to ``totals[key]``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - started

    return wrapper


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
            self._tally(sql_kind(sql), started)

    def _tally(self, kind: str, started: float) -> None:
        entry = self.stats[kind]
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
                self._tally("COMMIT", started)

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
    OutboxDispatcher = project.load(project.OUTBOX_DISPATCHER)

    class TimedDispatcher(OutboxDispatcher):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.times: dict[str, float] = defaultdict(float)
            self.batches = 0
            self.events = 0
            self.publisher.publish = timed(self.publisher.publish, self.times, PUBLISH)  # type: ignore[method-assign]

        def dispatch_batch(self) -> Any:
            started = time.perf_counter()
            result = super().dispatch_batch()
            self.times[BATCH_TOTAL] += time.perf_counter() - started
            self.batches += 1
            self.events += result.published
            return result

        def _claim(self, now: datetime) -> Any:
            started = time.perf_counter()
            try:
                return super()._claim(now)
            finally:
                self.times[CLAIM] += time.perf_counter() - started

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
