"""The three measured phases: raw publish baseline, outbox drain (and its diagnostic), commit -> users_read lag."""

from __future__ import annotations

import os
import random
import secrets
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from . import project
from .environment import CONSUMER_NAME, RAW_QUEUE, bench_consumer
from .probes import CpuWindow
from .report import percentile, say
from .roles import Child


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


def build_entries(users: int, per_user: int, seed: int = 7) -> list[Any]:
    """users x per_user outbox rows: users.user_registered then profile updates, interleaved across users."""
    OutboxEntry = project.load(project.OUTBOX_ENTRY)
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

    broker = project.load(project.BROKER)

    with broker.connection(connect_timeout=3) as conn:
        channel = conn.default_channel
        exchange = broker.events_exchange()
        exchange(channel).declare()
        queue = raw_queue(exchange)
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


def projected_count() -> int:
    """Events the bench consumer has handled: its inbox rows."""
    return count("SELECT count(*) FROM inbox WHERE consumer = %s", [CONSUMER_NAME])


def pending_count() -> int:
    return count("SELECT count(*) FROM outbox WHERE status = 'pending'")


def raw_queue(exchange: Any) -> Any:
    """The durable queue ``orderflow-bench.raw``, bound to the events exchange for every users.* event."""
    from kombu import Queue

    return Queue(RAW_QUEUE, exchange=exchange, routing_key="users.#", durable=True)


def drain_phase(
    total: int, last_version: int, consumers: list[Child], dispatchers: int, e2e_timeout: float
) -> dict[str, Any]:
    """``dispatchers`` processes drain the ``total`` pending rows while the consumers project them; then wait
    for the projection (a user is complete at ``last_version``).

    ``consumers``: one process per shard of the consumer's queue (one, unsharded, by default).
    """
    from django.db import connection

    done = threading.Event()
    marks: dict[str, float] = {}
    windows: dict[str, CpuWindow] = {}
    pids = {consumer_label(n, len(consumers)): child.proc.pid for n, child in enumerate(consumers)}

    def watch() -> None:
        """Progress every 2 s; the end-to-end finish (all projected) is read from the inbox afterwards."""
        last = time.monotonic()
        try:
            while not done.is_set():
                # Seldom: a count over the growing inbox costs PostgreSQL CPU the drain competes for.
                time.sleep(1.0)
                projected = projected_count()
                if projected >= total:
                    marks["all_projected_seen"] = time.time()
                    return
                if time.monotonic() - last >= 2.0:
                    last = time.monotonic()
                    pending = pending_count()
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
        windows["e2e"] = CpuWindow(pids)
        watcher.start()

    drained = drain_in_parallel(dispatchers, pids, on_go=go)
    published, drain_seconds, drain_cpu = drained["published"], drained["seconds"], drained["cpu"]
    if left := pending_count():
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
        broker = project.load(project.BROKER)
        with broker.connection(connect_timeout=3) as conn:
            for queue in consumer_queues(len(consumers)):
                queue(conn.default_channel).purge()
        previous = -1
        while (now := projected_count()) != previous:
            previous = now
            time.sleep(1.0)
    consumer_stats = merged_stats([child.stats(1) for child in consumers])
    with connection.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM max(processed_at)) FROM inbox WHERE consumer = %s", [CONSUMER_NAME])
        last_projected = float(cursor.fetchone()[0])
    e2e_seconds = last_projected - marks["start"]
    projected = projected_count()
    full = count("SELECT count(*) FROM users_read WHERE version = %s", [last_version])
    return {
        "events": total,
        "dispatchers": dispatchers,
        "shards": len(consumers),
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


def consumer_label(number: int, shards: int) -> str:
    return "consumer" if shards == 1 else f"consumer shard {number}"


def consumer_queues(shards: int) -> list[Any]:
    """The bench consumer's queues in a ``shards``-shard layout."""
    consumer = bench_consumer()
    return [consumer.queue(dead_letters=True, shard=shard, shards=shards) for shard in range(shards)]


def merged_stats(stats: list[dict[str, Any]]) -> dict[str, Any]:
    """The consumer processes' figures together: counts and times summed, the span the longest."""
    sql: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for item in stats:
        for kind, (n, t) in item["sql"].items():
            sql[kind][0] += n
            sql[kind][1] += t
    return {
        "handled": sum(item["handled"] for item in stats),
        "deliver": sum(item["deliver"] for item in stats),
        "handle": sum(item["handle"] for item in stats),
        "span": max(item["span"] for item in stats),
        "processes": len(stats),
        "sql": dict(sql),
    }


def set_bound(queue: Any, bound: bool) -> None:
    """Bind ``queue`` to the events exchange with all its keys, or unbind it from them (its messages stay)."""
    broker = project.load(project.BROKER)
    exchange = broker.events_exchange()
    with broker.connection(connect_timeout=3) as conn:
        channel = conn.default_channel
        for key in (b.routing_key for b in queue.bindings):
            if bound:
                channel.queue_bind(queue.name, exchange.name, routing_key=key)
            else:
                channel.queue_unbind(queue.name, exchange.name, routing_key=key)


def sharded_phase(total: int, last_version: int, shards: int, dispatchers: int, e2e_timeout: float) -> dict[str, Any]:
    """The drain phase again, from scratch, with the consumer's queue in ``shards`` shards and a process per shard.

    The one-shard queue (whose process serves the lag phase) is unbound meanwhile, so only the shards see
    the events; users_read and the consumer's inbox are emptied first, so every event is projected anew.
    """
    from django.db import connection

    single = bench_consumer().queue(dead_letters=True)
    set_bound(single, False)
    children: list[Child] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE outbox SET status = 'pending', processed_at = NULL")
            cursor.execute("DELETE FROM inbox WHERE consumer = %s", [CONSUMER_NAME])
            cursor.execute("DELETE FROM users_read")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE outbox")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE inbox")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE users_read")
        children = [
            Child("consumer", env={"EVENTS_CONSUMER_SHARDS": str(shards), "BENCH_SHARD": str(shard)})
            for shard in range(shards)
        ]
        for child in children:
            child.wait_for("READY")
        return drain_phase(total, last_version, children, dispatchers, e2e_timeout)
    finally:
        for child in children:
            child.stop()
        broker = project.load(project.BROKER)
        with broker.connection(connect_timeout=3) as conn:
            for queue in consumer_queues(shards):
                with suppress(Exception):
                    conn.default_channel.queue_delete(queue.name)
        set_bound(single, True)


def drain_alone_phase(dispatchers: int) -> dict[str, Any]:
    """Diagnostic: the same rows drained again with no consumer at work (its queue unbound).

    Once by one dispatcher, then by ``dispatchers`` at once (unless that is one). Beside the
    headline drain, this tells the dispatcher's own cost from the cost of sharing two cores with
    the consumer (and with RabbitMQ delivering to it), and what draining in parallel (SKIP LOCKED,
    streams claimed by their head) adds. The queue depth afterwards shows whether any event was
    published twice.
    """
    from django.db import connection

    broker = project.load(project.BROKER)

    consumer_queue = bench_consumer().queue(dead_letters=True)
    exchange = broker.events_exchange()
    queue = raw_queue(exchange)

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
    set_bound(consumer_queue, False)
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
        set_bound(consumer_queue, True)
        with broker.connection(connect_timeout=3) as conn, suppress(Exception):
            queue(conn.default_channel).delete()
    return {"one": runs[1], "many": runs[dispatchers]}


def lag_phase(consumer: Child, *, rate: float, seconds: float, pool_size: int, writers: int) -> dict[str, Any]:
    import structlog
    from django.db import connection

    Ok, RegisterUser, UpdateProfile = (
        project.load(path) for path in (project.OK, project.REGISTER_USER, project.UPDATE_PROFILE)
    )
    dispatcher = Child("dispatcher", stdin=True)
    bus = project.command_bus()
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

    pool: list[uuid.UUID] = []  # the users the steady phase updates
    pool_lock = threading.Lock()

    def register(email: str, display_name: str) -> None:
        user = run(RegisterUser(email=email, password=secrets.token_urlsafe(16), display_name=display_name))
        if user is not None:
            with pool_lock:
                pool.append(user.id)

    def until_projected() -> None:
        """Until every event committed so far is visible in users_read, 60 s at the most."""
        deadline = time.monotonic() + 60
        while outstanding and time.monotonic() < deadline:
            time.sleep(0.05)

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
        for index in range(pool_size):
            register(f"pool{index}-{run_id}@example.com", f"Pool {index}")
        until_projected()
        with lock:
            lags.clear()
        consumer.stats(2)

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
                        register(f"w{number}-{i}-{run_id}@example.com", f"Writer {number}")
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
        until_projected()
        cpu_window = cpu.finish()
    finally:
        stop_observing.set()
        with lock:
            unfinished = sum(len(v) for v in outstanding.values())
            outstanding.clear()
        observer.join(10)
        dispatcher.stop()
    consumer_stats = consumer.stats(3)
    dispatcher_stats = dispatcher.wait_for("STATS", 1)

    # Where the lag goes, per event: commit -> published (outbox.processed_at) -> consumed (inbox) -> visible.
    InboxEntry = project.load(project.INBOX_ENTRY)
    OutboxEntry = project.load(project.OUTBOX_ENTRY)

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
