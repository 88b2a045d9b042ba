"""The scenarios: each runs the load, hurts one thing, gives it back, then waits for the system to converge.

A scenario has three windows: before the fault (``pre`` seconds of load), the fault (from the moment
it is done to the moment the dependency answers again, or the last kill), and ``post`` seconds of
load after it (so the first requests after a recovery are seen). Then the load stops and the
database is asked every second whether everything the scenario's clients placed has arrived
everywhere (``checks.check``); the time from the end of the fault to the first consistent answer is
the convergence time. The row reports what clients saw during the fault and that consistency.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import checks
from .load import Load, now
from .report import percentile, say
from .services import Postgres, RabbitMQ, Redis
from .stack import Stack

WRITES = ("place", "cancel")
REQUESTS = ("place", "cancel", "read")
DEAD_LETTER_QUEUE = "orderflow.dead-letters"


@dataclass
class Durations:
    pre: float
    post: float
    baseline: float
    broker: float
    database: float
    redis: float
    kills: int
    kill_every: float
    converge: float

    @classmethod
    def of(cls, quick: bool) -> Durations:
        if quick:
            return cls(
                pre=5, post=5, baseline=15, broker=30, database=15, redis=10, kills=20, kill_every=2.0, converge=60
            )
        return cls(
            pre=10, post=5, baseline=30, broker=60, database=30, redis=20, kills=20, kill_every=3.0, converge=120
        )


@dataclass
class Context:
    load: Load
    stack: Stack
    postgres: Postgres
    rabbitmq: RabbitMQ
    redis: Redis
    durations: Durations
    bindings: dict[str, tuple[str, ...]]
    env: dict[str, str]
    cwd: Path
    api_log: Path
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Fault:
    """What a fault did: when it started and ended (seconds since the run started) and what it saw."""

    start: float
    end: float
    notes: list[str] = field(default_factory=list)
    doubled: int = 0  # effects doubled that the fault itself counted (delivery-failure rows)


def line_count(path: Path) -> int:
    try:
        with open(path, "rb") as handle:
            return sum(1 for _ in handle)
    except FileNotFoundError:
        return 0


def run(ctx: Context, key: str, name: str, fault: Callable[[Context], Fault]) -> dict[str, Any]:
    d = ctx.durations
    say(f"scenario {name}: load on ({len(ctx.load.tokens)} writers, 1 reader, /health probers)")
    pre_start = now()
    log_lines_before = line_count(ctx.api_log)
    ctx.load.start(key)
    time.sleep(d.pre)
    happened = fault(ctx)
    time.sleep(d.post)
    ctx.load.stop()
    log_lines = line_count(ctx.api_log) - log_lines_before
    say(f"scenario {name}: load stopped; waiting for convergence (at most {d.converge:.0f} s after the fault)")

    accepted = [a.order_id for a in ctx.load.attempted[key] if a.order_id]
    dsn = ctx.postgres.dsn()
    converged_at, result, load_stopped, last_said = None, None, now(), 0.0
    while now() - happened.end <= d.converge:
        try:
            result = checks.check(dsn, key, ctx.bindings, accepted)
        except Exception as exc:
            say(f"  check failed: {type(exc).__name__}: {exc}")
        else:
            if result.converged:
                converged_at = now()
                break
            if now() - last_said >= 5:  # how the backlog drains, for the runbooks
                say(f"  +{now() - happened.end:.0f} s after the fault: {result.describe()}")
                last_said = now()
        time.sleep(1.0)
    if result is None:
        raise RuntimeError(f"scenario {name}: the database could not be checked")

    during = ctx.load.window(happened.start, happened.end, REQUESTS)
    writes = [s.seconds for s in during if s.kind in WRITES and s.status not in {"timeout", "error"}]
    reads = [s.seconds for s in during if s.kind == "read" and s.status not in {"timeout", "error"}]
    live = ctx.load.window(happened.start, happened.end, ("live",))
    ready = Counter(s.status for s in ctx.load.window(happened.start, happened.end, ("ready",)))
    before = [s.seconds for s in ctx.load.window(pre_start, happened.start, WRITES) if s.status.startswith("2")]
    after = sorted(ctx.load.window(happened.end, now(), ("place",)), key=lambda s: s.at)

    tried = ctx.load.attempted[key]
    notes = list(happened.notes)
    notes.append(
        f"clients tried {len(tried)} orders, {len(accepted)} answered 201; {result.orders} in the database "
        f"({result.orders - len(set(accepted))} committed without the client seeing 201)"
    )
    before_p99 = percentile(before, 0.99)
    if before_p99 is not None and key != "a":
        notes.append(f"write p99 before the fault {before_p99 * 1000:.0f} ms ({len(before)} writes)")
    if after and key != "a":
        first = after[0]
        notes.append(f"first order placed after recovery: {first.status} in {first.seconds * 1000:.0f} ms")
    notes.append(f"/health/ready during the fault: {' '.join(f'{k}:{v}' for k, v in sorted(ready.items())) or '-'}")
    live_slow = sum(1 for s in live if s.status != "200" or s.seconds >= 0.05)
    notes.append(f"/health/live: {len(live)} probes, {live_slow} not 200 within 50 ms")
    notes.append(f"API log lines (WARNING and up) from load start to load stop: {log_lines}")
    if converged_at is not None:
        notes.append(f"converged {converged_at - load_stopped:.1f} s after the load stopped")
    notes.append(f"consistency at the end: {result.describe()}")
    row = {
        "key": key,
        "name": name,
        "fault_seconds": happened.end - happened.start,
        "statuses": Counter(s.status for s in during),
        "write_p50": percentile(writes, 0.50),
        "write_p99": percentile(writes, 0.99),
        "read_p99": percentile(reads, 0.99),
        "live_max": max((s.seconds for s in live), default=None),
        "lost": result.lost,
        "mismatch": result.mismatch,
        "doubled": result.doubled + happened.doubled,
        "converged": None if converged_at is None else max(0.0, converged_at - happened.end),
        "convergence_limit": d.converge,
        "notes": notes,
    }
    ctx.rows.append(row)
    conv = "not converged" if converged_at is None else f"converged {row['converged']:.1f} s after the fault"
    say(f"scenario {name}: {conv}; lost {result.lost}, mismatch {result.mismatch}, doubled {result.doubled}")
    return row


# --- the faults -------------------------------------------------------------------------------------------


def baseline(ctx: Context) -> Fault:
    start = now()
    time.sleep(ctx.durations.baseline)
    return Fault(start, now(), [f"no fault: {ctx.durations.baseline:.0f} s of load on a healthy stack"])


def broker_down(ctx: Context) -> Fault:
    say(f"  stopping RabbitMQ (own node) for {ctx.durations.broker:.0f} s")
    start = now()
    ctx.rabbitmq.stop()
    time.sleep(max(0.0, ctx.durations.broker - (now() - start)))
    say("  starting RabbitMQ again")
    boot = ctx.rabbitmq.start()
    end = now()
    return Fault(start, end, [f"RabbitMQ answered {boot:.1f} s after it was started again"])


def database_down(ctx: Context) -> Fault:
    say(f"  stopping PostgreSQL (own cluster) for {ctx.durations.database:.0f} s")
    start = now()
    ctx.postgres.stop()
    time.sleep(max(0.0, ctx.durations.database - (now() - start)))
    say("  starting PostgreSQL again")
    ctx.postgres.start()
    return Fault(start, now())


def redis_down(ctx: Context) -> Fault:
    say(f"  stopping Redis (own server) for {ctx.durations.redis:.0f} s")
    start = now()
    ctx.redis.stop()
    time.sleep(ctx.durations.redis)
    ctx.redis.start()
    return Fault(start, now(), ["Redis restarted empty (no persistence): cache and rate-limit counters gone"])


def redis_frozen(ctx: Context) -> Fault:
    say(f"  freezing Redis (SIGSTOP) for {ctx.durations.redis:.0f} s")
    start = now()
    ctx.redis.freeze()
    time.sleep(ctx.durations.redis)
    ctx.redis.thaw()
    return Fault(start, now(), ["Redis accepted connections but answered nothing (SIGSTOP), then SIGCONT"])


def kills(ctx: Context) -> Fault:
    d = ctx.durations
    targets = ("worker", "dispatcher", "consumer")
    say(f"  {d.kills} x kill -9, every {d.kill_every:g} s, round robin over {', '.join(targets)}")
    start = now()
    sent: Counter[str] = Counter()
    while_starting: Counter[str] = Counter()
    waited = 0.0
    for n in range(d.kills):
        target = targets[n % len(targets)]
        deadline = time.monotonic() + 15
        if ctx.stack.roles[target].starting:
            while_starting[target] += 1
        while ctx.stack.kill(target, signal.SIGKILL) is None:  # down (being restarted): kill it once it is back
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not come back within 15 s to be killed")
            time.sleep(0.1)
            waited += 0.1
        sent[target] += 1
        if n + 1 < d.kills:
            time.sleep(d.kill_every)
    end = now()
    restarts = ctx.stack.restarts()
    ctx.stack.wait_up(("dispatcher", "consumer"), 30)  # the last restarts, for their up times
    up = [
        f"{name} {min(times):.1f}/{sorted(times)[len(times) // 2]:.1f}/{max(times):.1f} s"
        for name in ("dispatcher", "consumer")
        if (times := ctx.stack.roles[name].up_after[1:])
    ]
    return Fault(
        start,
        end,
        [
            "kill -9 sent: " + ", ".join(f"{name} {count}" for name, count in sent.items()),
            "restarts so far by the supervisor: " + ", ".join(f"{name} {count}" for name, count in restarts.items()),
            f"{waited:.1f} s spent waiting for a killed process to be back before killing it again",
            "killed while still starting (up line not printed yet): "
            + (", ".join(f"{name} {count}" for name, count in while_starting.items()) or "none"),
            "restart to up line printed, restarts that got there (min/median/max): " + ("; ".join(up) or "-"),
        ],
    )


def malformed(ctx: Context) -> Fault:
    """Malformed messages and one poison event on two consumer queues, then two replays of the dead letters."""
    import amqp

    bodies: list[tuple[bytes, str]] = [
        (b"{not json", "not JSON"),
        (b'"a string"', "JSON, not an object"),
        (b'{"event_type": "orders.order_placed"}', "an envelope lacking fields"),
        (
            json.dumps(
                {
                    "event_id": "not-a-uuid",
                    "event_type": "orders.order_placed",
                    "aggregate_id": str(uuid.uuid4()),
                    "aggregate_version": 1,
                    "payload": {},
                }
            ).encode(),
            "an event id that is not a UUID",
        ),
    ]
    poison = json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "orders.order_placed",
            "event_version": 1,
            "aggregate_type": "Order",
            "aggregate_id": str(uuid.uuid4()),
            "aggregate_version": 1,
            "occurred_at": "2026-01-01T00:00:00+00:00",
            "payload": {"order_id": "not-a-uuid"},
        }
    ).encode()
    queues = ("orderflow.billing-policies", "orderflow.orders-read")
    dsn = ctx.postgres.dsn()
    before = checks.dead_letters(dsn)
    start = now()
    conn = amqp.Connection(f"127.0.0.1:{ctx.rabbitmq.port}", userid="guest", password="guest", connect_timeout=3)
    conn.connect()
    channel = conn.channel()
    for queue in queues:
        for body, _ in bodies:
            channel.basic_publish(
                amqp.Message(body, content_type="application/json", delivery_mode=2), exchange="", routing_key=queue
            )
    channel.basic_publish(
        amqp.Message(poison, content_type="application/json", delivery_mode=2),
        exchange="",
        routing_key="orderflow.billing-policies",
    )
    sent = len(bodies) * len(queues) + 1
    say(f"  published {sent} bad messages ({len(bodies)} malformed kinds on {len(queues)} queues, 1 poison event)")

    def dead_now() -> int:
        counts = checks.dead_letters(dsn)
        return sum(v for k, v in counts.items() if k.endswith("dead")) - sum(
            v for k, v in before.items() if k.endswith("dead")
        )

    def wait_dead(limit: float, target: int) -> float:
        started = time.monotonic()
        while time.monotonic() - started < limit and dead_now() < target:
            time.sleep(0.5)
        return time.monotonic() - started

    took = wait_dead(30, sent)
    first = checks.dead_letters(dsn)
    queue_depths = [dead_letter_depth(channel)]
    notes = [
        f"{dead_now()} of {sent} bad messages dead-lettered within {took:.1f} s: {fmt(first)}",
    ]
    for replay in (1, 2):
        output = subprocess.run(
            [ctx.env["CHAOS_PYTHON"], "manage.py", "replay_dead_letters"],
            env=ctx.env,
            cwd=ctx.cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        last = (output.stdout.strip().splitlines() or [output.stderr.strip()])[-1:]
        time.sleep(1.0)
        wait_dead(15, sent - 1)  # the malformed ones fail at once; the poison event retries first
        queue_depths.append(dead_letter_depth(channel))
        notes.append(f"replay {replay}: {' '.join(last)}; delivery failures now {fmt(checks.dead_letters(dsn))}")
    notes.append(
        f"messages in {DEAD_LETTER_QUEUE}: "
        + " -> ".join(str(depth) for depth in queue_depths)
        + " (after the first dead-lettering, then after each replay)"
    )
    conn.close()

    def malformed_rows(counts: dict[str, int]) -> int:
        return sum(v for k, v in counts.items() if k.startswith("malformed"))

    distinct = len(bodies) * len(queues)
    added = malformed_rows(checks.dead_letters(dsn)) - malformed_rows(before)
    notes.append(f"delivery-failure rows of malformed messages: {added} for {distinct} distinct (consumer, body) pairs")
    return Fault(start, now(), notes, doubled=max(0, added - distinct))


def dead_letter_depth(channel: Any) -> int:
    _, count, _ = channel.queue_declare(DEAD_LETTER_QUEUE, passive=True)
    return int(count)


def fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


#: By letter (what ``--only``/``--skip`` take): the scenario's title and its rows (key, name, fault).
SCENARIOS: dict[str, tuple[str, list[tuple[str, str, Callable[[Context], Fault]]]]] = {
    "a": ("baseline", [("a", "a baseline", baseline)]),
    "b": ("RabbitMQ stopped", [("b", "b broker stopped", broker_down)]),
    "c": ("PostgreSQL stopped", [("c", "c database stopped", database_down)]),
    "d": (
        "Redis stopped, then frozen",
        [("d1", "d redis stopped", redis_down), ("d2", "d redis frozen", redis_frozen)],
    ),
    "e": ("kill -9 of worker, dispatcher, consumer", [("e", "e kill -9 x20", kills)]),
    "f": ("malformed messages", [("f", "f malformed messages", malformed)]),
}
