"""Output: timestamped progress lines, and the report of where the time went and of the figures beside the targets."""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Any

from . import project
from .probes import BATCH_TOTAL, CLAIM, PUBLISH

TARGET_DRAIN_RATE = 2000.0
TARGET_DRAIN_RATIO = 0.5
TARGET_LAG_P99_MS = 500.0
TARGET_E2E_RATIO = 0.22


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


def format_cpu(window: dict[str, Any]) -> str:
    parts = ", ".join(f"{name} {cores:.2f}" for name, cores in window["cores_used"].items())
    return f"machine {window['machine_busy'] * 100:.0f}% busy; cores used: {parts}"


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

    broker = project.load(project.BROKER)

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
    total = times.get(BATCH_TOTAL, 0.0)
    say(f"  {title}: {batches} batches, {events:,} events, {total:.2f} s in dispatch_batch")
    claim = times.get(CLAIM, 0.0)
    publish = times.get(PUBLISH, 0.0)
    rest = total - claim - publish
    for name, value in (
        (CLAIM, claim),
        (PUBLISH, publish),
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


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    raw, drain, lag = results["raw"], results["drain"], results["lag"]
    one, many = results["drain_alone"]["one"], results["drain_alone"]["many"]
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
    for run in (drain, results.get("sharded")):
        if run is None:
            continue
        shards = run.get("shards", 1)
        partial = "" if run["e2e_complete"] else f", PARTIAL: {run['projected']:,} projected before the time limit"
        label = "1 shard" if shards == 1 else f"{shards} shards"
        share = run["e2e_rate"] / raw["rate"] * 100
        print(
            f"  end to end, {label:<9} {run['e2e_rate']:>9,.0f} events/s  = {share:5.1f} % "
            f"of raw  (outbox -> RabbitMQ -> users_read, {run['e2e_seconds']:.2f} s{partial})"
        )
        c = run["consumer"]
        print(
            f"    consumer{'s' if shards > 1 else ' '}          {c['handled'] / max(c['span'], 1e-9):>9,.0f} events/s  "
            f"({shards} ConsumerRunner process(es); {c['handle'] / max(1, c['handled']) * 1e6:.0f} us per event "
            f"handling a flush, {c['deliver'] / max(1, c['handled']) * 1e6:.0f} us of it in the inbox transaction; "
            f"{sum(n for n, _ in c['sql'].values()) / max(1, c['handled']):.3f} SQL statements per event)"
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
    best = max((run for run in (drain, results.get("sharded")) if run), key=lambda run: run["e2e_rate"])
    e2e_ratio = best["e2e_rate"] / raw["rate"]
    results["e2e_ratio"] = e2e_ratio
    print(
        f"    end to end >= {TARGET_E2E_RATIO:.0%} of raw    {verdict(e2e_ratio >= TARGET_E2E_RATIO)} "
        f"({e2e_ratio * 100:.1f} % with {best.get('shards', 1)} shard(s))"
    )
    print("  reproduce: make bench-outbox")
    print("=" * 100)
