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
   work, by one dispatcher and by ``--dispatchers``, counting any message published twice; then
   end to end again from scratch with the consumer's queue in ``--shards`` shards (default 2), one
   consumer process per shard (``consume_events --shard K``);
3. **lag**: commands at a steady rate through ``command_bus()`` (RegisterUser and
   UpdateProfile) with a dispatcher process (kicked after each commit like
   ``transaction.on_commit(kick)``, and ticking every second like beat) and the consumer
   process running; commit -> visible-in-users_read lag per event, p50/p99.

It creates (and drops at the end) its own database, ``orderflow_bench`` by default, and uses
its own exchanges (``orderflow-bench.*``) and queue (``orderflow.users-read-bench``), so a dev
stack or a test run on the same broker neither disturbs it nor is disturbed.

    .venv/bin/python -m scripts.bench_outbox [--users 10000] [--per-user 5] [--rate 200] [--seconds 20]

It prints where the time goes (dispatcher phases, SQL statements per batch and per message,
CPU per process group) and, at the end, the figures beside the targets. Figures and their
reading: docs/ops/scaling-strategy.md.

Environment: ``BENCH_DATABASE_URL`` (postgres://postgres@127.0.0.1:5432/orderflow_bench; the
database name must contain "bench", it is dropped and recreated), ``BENCH_BROKER_URL``
(amqp://guest:guest@127.0.0.1:5672//), ``BENCH_BROKER_PREFIX`` (orderflow-bench: the names of
its exchanges and queues), ``OUTBOX_BATCH_SIZE`` (500).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import project
from .environment import (
    RAW_QUEUE,
    bench_consumer,
    clean_broker,
    configure_environment,
    drop_database,
    recreate_database,
    setup_django,
)
from .phases import (
    build_entries,
    consumer_queues,
    drain_alone_phase,
    drain_phase,
    lag_phase,
    raw_publish,
    sharded_phase,
)
from .probes import background_load
from .report import machine, report, say, service_versions
from .roles import Child, consumer_role, dispatcher_role, drain_once_role

#: The numeric options: flag, type, default, help.
OPTIONS: list[tuple[str, type, object, str]] = [
    ("--users", int, 10_000, "aggregates in the drain phase (default 10,000)"),
    ("--per-user", int, 5, "events per aggregate (default 5)"),
    ("--raw", int, None, "messages in the raw baseline (default: as many as events)"),
    ("--rate", float, 200.0, "commands/s in the lag phase (default 200)"),
    ("--seconds", float, 20.0, "length of the steady lag phase (default 20)"),
    ("--pool", int, 500, "users registered before the lag phase (default 500)"),
    (
        "--dispatchers",
        int,
        2,
        "dispatcher processes draining at once (default 2: a worker's default concurrency on 2 cores)",
    ),
    ("--writers", int, 2, "writer threads in the lag phase (default 2)"),
    (
        "--shards",
        int,
        2,
        "consumer shards (one process each) in the sharded end-to-end run (default 2; 1 skips that run)",
    ),
    ("--e2e-timeout", float, 240.0, "seconds to wait for the projection to catch up in the drain phase (default 240)"),
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_outbox", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--role", choices=["consumer", "dispatcher", "drain-once"], help=argparse.SUPPRESS)
    for flag, kind, default, text in OPTIONS:
        parser.add_argument(flag, type=kind, default=default, help=text)
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

    envelope = project.load(project.ENVELOPE)
    OutboxEntry = project.load(project.OUTBOX_ENTRY)

    call_command("migrate", verbosity=0, interactive=False)
    queues = [RAW_QUEUE, bench_consumer().queue_name, *(q.name for q in consumer_queues(max(1, args.shards)))]
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
        drain = drain_phase(total, args.per_user, [consumer], args.dispatchers, args.e2e_timeout)
        results["drain"] = drain
        say(
            f"  drain: {drain['drain_rate']:,.0f} events/s to RabbitMQ; end to end {drain['e2e_rate']:,.0f} "
            f"events/s ({drain['users_complete']:,} of {args.users:,} users at version {args.per_user})"
        )
        del entries, bodies

        say("2b  diagnostic: the same rows drained again with no consumer at work (its queue unbound)")
        results["drain_alone"] = drain_alone_phase(args.dispatchers)

        if args.shards > 1:
            say(
                f"2c  end to end again from scratch, the consumer's queue in {args.shards} shards, "
                "one consumer process per shard"
            )
            sharded = sharded_phase(total, args.per_user, args.shards, args.dispatchers, args.e2e_timeout)
            results["sharded"] = sharded
            say(
                f"  sharded: {sharded['drain_rate']:,.0f} events/s to RabbitMQ; end to end "
                f"{sharded['e2e_rate']:,.0f} events/s ({sharded['users_complete']:,} of {args.users:,} users complete)"
            )

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


if __name__ == "__main__":
    sys.exit(main())
