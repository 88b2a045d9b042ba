"""Benchmark of the read and write paths over HTTP, in the production server's shape; ratios measured in one run.

A benchmark, not a test: it asserts nothing, it measures and prints. ``make bench-http`` runs it against
the PostgreSQL and Redis on localhost, in its own database (``orderflow_bench_http``, dropped and created
again) and Redis database (12, emptied):

1. **data**: migrations, then orders through ``manage.py seed_db`` (``--orders``, 10,000 by default,
   with ``--bulk`` when the command has it; without it, the command bus path is far too slow for that,
   and ``--fallback-orders`` are seeded instead, which the report says); the caller is the customer with
   the most orders, with one of their orders that has an invoice, and an access token orderflow issued;
2. **rounds**: gunicorn, one sync worker pinned to core 0, DEBUG off, started with READ_CACHE_ENABLED=true
   and then with false (one at a time, on one port; which goes first alternates), each endpoint for
   ``--seconds`` after ``--warmup``, in an order rotated per round, by wrk pinned to core 1 with
   ``--connections`` connections; req/s, p50 and p99 as medians across ``--rounds``; queries per request
   from the second of two requests (warm cache) counted by the bench's middleware; the writes (placing an
   order, with and without an ``Idempotency-Key``, cancelling one, the signed payment webhook, and the
   naive create they are compared with) send a new request each time (``writes``): the cancels and the
   webhooks spend the caller's orders awaiting payment, ``--write-targets`` of them made beforehand;
3. **growth** (``--growth``): an order's detail and the first list page, read cache off, at each of
   ``--growth-sizes`` orders (10,000 then 1,000,000), seeding the difference with ``seed_db --bulk``;
4. **profile** (``--profile``): one order-detail request under cProfile, with its SQL queries, with the
   read cache on and off, and one place-order request; each with the mean time of more of the same;
5. **report**: the table and the ratios on stdout; the same, uptime before and after, and the chart
   (``--docs``: docs/ops/performance.md between its result markers, docs/ops/img/bench-http.png).

    .venv/bin/python -m scripts.bench_http [--rounds 3] [--seconds 10] [--growth] [--profile]

Environment: ``BENCH_HTTP_DATABASE_URL`` (postgres://postgres@127.0.0.1:5432/orderflow_bench_http; the
name must contain "bench"), ``BENCH_HTTP_REDIS_URL`` (redis://127.0.0.1:6379/12).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.bench_outbox.environment import drop_database, recreate_database

from . import environment, machine, writes
from .endpoints import BY_KEY, ENDPOINTS, GROWTH_ENDPOINTS
from .load import wrk_available
from .phases import Options, bulk_available, order_count, pick_subject, rounds, seed, settle
from .report import chart, fragment, print_table, ratio_rows, results_table, say, write_fragment

BASE_DIR = environment.BASE_DIR
DOC = BASE_DIR / "docs" / "ops" / "performance.md"
CHART = BASE_DIR / "docs" / "ops" / "img" / "bench-http.png"
#: Beyond this many orders to add, the command bus path is not attempted (it manages tens a second).
SLOW_PATH_LIMIT = 3000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_http", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--role", choices=["profile"], help=argparse.SUPPRESS)
    parser.add_argument("--profile-path", help=argparse.SUPPRESS)
    parser.add_argument("--profile-user", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--profile-body", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint and round (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each measurement (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk's connections (default 8)")
    parser.add_argument("--port", type=int, default=8791, help="the server's port (default 8791)")
    parser.add_argument("--orders", type=int, default=10_000, help="orders seeded with seed_db --bulk (10,000)")
    parser.add_argument(
        "--fallback-orders",
        type=int,
        default=300,
        help="orders seeded through the command bus when seed_db has no --bulk (default 300)",
    )
    parser.add_argument("--orders-per-customer", type=int, default=100, help="orders per customer (default 100)")
    parser.add_argument(
        "--write-targets",
        type=int,
        default=20_000,
        help="the caller's orders awaiting payment made for the cancels and webhooks (default 20,000; more on demand)",
    )
    parser.add_argument("--only", help="comma-separated endpoint keys: " + ",".join(BY_KEY))
    parser.add_argument("--growth", action="store_true", help="also measure detail and list p99 as the data grows")
    parser.add_argument(
        "--growth-sizes",
        default="10000,1000000",
        help="orders in the database at each growth step (default 10000,1000000)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile one order-detail and one place-order request"
    )
    parser.add_argument("--profile-top", type=int, default=30, help="profile entries reported (default 30)")
    parser.add_argument("--log-level", default="INFO", help="the servers' LOG_LEVEL (default INFO, production's)")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even with wrk")
    parser.add_argument("--docs", action="store_true", help="write docs/ops/performance.md's results and the chart")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--keep", action="store_true", help="keep the database and the run directory afterwards")
    return parser.parse_args()


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=BASE_DIR, capture_output=True, text=True, check=False).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def services() -> str:
    from django.core.cache import cache
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    try:
        redis = cache.client.get_client().info("server")["redis_version"]  # type: ignore[attr-defined]
    except Exception:  # the cache is not django-redis
        redis = "?"
    return f"PostgreSQL {pg.split()[0]}, Redis {redis}"


def profile(env: dict[str, str], run_dir: Path, subject: dict[str, Any], top: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    detail = f"/api/v2/orders/{subject['order_id']}"
    runs: list[tuple[str, str, str, str | None]] = [("detail-on", detail, "true", None)]
    runs.append(("detail-off", detail, "false", None))
    runs.append(("place", "/api/v2/orders", "true", writes.PLACE_BODY))
    for name, path, read_cache, body in runs:
        target = run_dir / f"profile-{name}.json"
        command = [sys.executable, "-m", "scripts.bench_http", "--role", "profile", "--profile-path", path]
        command += ["--profile-user", subject["customer_id"], "--profile-out", str(target)]
        command += ["--profile-top", str(top)]
        if body is not None:
            command += ["--profile-body", body]
        result = subprocess.run(
            command, env={**env, "READ_CACHE_ENABLED": read_cache}, cwd=BASE_DIR, capture_output=True, text=True
        )
        if result.returncode != 0:
            say(f"profile of {name} (READ_CACHE_ENABLED={read_cache}) failed:\n{result.stderr[-2000:]}")
            continue
        found = json.loads(target.read_text())
        found["read_cache"] = read_cache
        out.append(found)
        say(
            f"  profile, {found['method']} {path}, READ_CACHE_ENABLED={read_cache}: {found['status']}, "
            f"{found['elapsed_ms']:.1f} ms under cProfile, {found['function_calls']:,} calls, "
            f"{len(found['queries'])} queries; {found['mean_us']:,.0f} us a request without it "
            f"(mean of {found['timed']})"
        )
    return out


def growth(env: dict[str, str], options: Options, sizes: list[int], bulk: bool, per_customer: int) -> list[list[str]]:
    rows = [["orders", "seeded in", "endpoint", "req/s", "p50 ms", "p99 ms", "queries"]]
    for size in sizes:
        current = order_count()
        missing = size - current
        took = "-"
        if missing > 0:
            if not bulk and missing > SLOW_PATH_LIMIT:
                say(f"growth: {size:,} orders need seed_db --bulk (not on this commit); growth stops here")
                rows.append([f"{size:,}", "not seeded", "needs seed_db --bulk, not on this commit", "-", "-", "-", "-"])
                break
            say(f"growth: seeding {missing:,} more orders ({'bulk' if bulk else 'command bus'})")
            took = f"{seed(env, missing, max(1, missing // per_customer), bulk=bulk):.0f} s"
        subject = pick_subject()
        say(f"growth: {subject['total_orders']:,} orders; the caller has {subject['customer_orders']}")
        found = rounds(env, GROWTH_ENDPOINTS, subject, options)
        for endpoint in GROWTH_ENDPOINTS:
            m = found[endpoint.key]
            rows.append(
                [
                    f"{subject['total_orders']:,}",
                    took,
                    endpoint.label,
                    f"{m.rate:,.0f}",
                    f"{m.p50_ms:.1f}",
                    f"{m.p99_ms:.1f}",
                    str(m.queries),
                ]
            )
    return rows


def main() -> int:
    args = parse_args()
    if args.role == "profile":
        from .profiling import profile_role

        return profile_role(args.profile_path, args.profile_user, args.profile_top, args.profile_out, args.profile_body)

    database_url, redis_url = environment.urls()
    endpoints = [BY_KEY[key] for key in args.only.split(",")] if args.only else ENDPOINTS
    use_wrk = wrk_available() and not args.python_load
    generator = "wrk (taskset -c 1)" if use_wrk else "Python threads (wrk not installed: figures are a floor)"
    if not use_wrk and not args.python_load:
        say("WARNING: wrk is not installed (apt-get install wrk); the Python load generator stands in")
    run_dir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    env = environment.build_environment(run_dir, database_url, redis_url, args.log_level)
    options = Options(
        rounds=args.rounds,
        seconds=args.seconds,
        warmup=args.warmup,
        connections=args.connections,
        port=args.port,
        run_dir=run_dir,
        use_wrk=use_wrk,
        webhook_secret=env["PAYMENT_WEBHOOK_SECRETS"],
    )
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit(),
        "machine": machine.description(),
        "rounds": args.rounds,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "connections": args.connections,
        "generator": generator,
    }
    say(f"bench-http: {database_url}, {redis_url}; run directory {run_dir}")
    try:
        say("setup: signing key, database, migrations")
        environment.generate_key(env)
        recreate_database(database_url)
        environment.flush_redis(redis_url)
        environment.manage(env, "migrate", "--no-input", "-v", "0")
        environment.manage(env, "sync_roles", "-v", "0")
        bulk = bulk_available(env)
        count = args.orders if bulk else args.fallback_orders
        mode = "seed_db --bulk" if bulk else "seed_db through the command bus; it has no --bulk on this commit"
        say(f"setup: seeding {count:,} orders ({mode})")
        took = seed(env, count, max(1, count // args.orders_per_customer), bulk=bulk)
        results["seed_mode"] = f"{mode}, {took:.0f} s"
        environment.setup_django(env)
        results["services"] = services()
        subject = pick_subject()
        results["subject"] = {k: v for k, v in subject.items() if k != "token"}
        say(
            f"setup: {subject['total_orders']:,} orders; caller {subject['customer_email']} with "
            f"{subject['customer_orders']} orders; order {subject['order_id']}, invoice {subject['invoice_id']}"
        )

        if any(endpoint.write and writes.needs_target(endpoint.write) for endpoint in endpoints):
            options.targets = writes.Targets(subject["customer_id"], subject["customer_email"])
            say(f"setup: {args.write_targets:,} orders of the caller's awaiting payment, to cancel and to pay")
            options.targets.reserve(args.write_targets)
            settle(database_url)
            results["write_targets"] = args.write_targets

        results["uptime_before"] = machine.uptime()
        idle = machine.background()
        results["background"] = ", ".join(f"{name} {value * 100:.0f}%" for name, value in idle.items() if name != "cpu")
        say(f"load before: {results['uptime_before']}; busy over 2 s before starting: {results['background']}")
        if idle.get("cpu", 0.0) > 0.1:
            say("WARNING: other work is running on this machine; it competes with the server and wrk for the cores")
        found = rounds(env, endpoints, subject, options)
        if options.targets is not None:
            results["write_targets"] = options.targets.made
        if args.growth:
            sizes = [int(size) for size in args.growth_sizes.split(",") if size.strip()]
            results["growth"] = growth(env, options, sizes, bulk, args.orders_per_customer)
        if args.profile:
            say("profile: one order-detail request, read cache on and off; one place-order request")
            results["profile"] = profile(env, run_dir, subject, args.profile_top)
        results["uptime_after"] = machine.uptime()
        say(f"load after: {results['uptime_after']}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(database_url)
            shutil.rmtree(run_dir, ignore_errors=True)
    results["duration"] = time.monotonic() - started

    order = [endpoint.key for endpoint in endpoints]
    print()
    print_table(results_table(found, order))
    print()
    print_table(ratio_rows(found))
    if results.get("growth"):
        print()
        print_table(results["growth"])
    print()
    print(f"load before: {results['uptime_before']}")
    print(f"load after:  {results['uptime_after']}")
    if args.docs:
        title = f"orderflow reads and writes, {results['date']}, commit {results['commit']}"
        drawn = chart(CHART, found, order, title)
        write_fragment(DOC, fragment(results, found, order, "img/bench-http.png" if drawn else None))
        say(f"report: {DOC.relative_to(BASE_DIR)}" + (f", {CHART.relative_to(BASE_DIR)}" if drawn else ""))
    if args.json:
        results["endpoints"] = {
            key: {"rate": m.rate, "p50_ms": m.p50_ms, "p99_ms": m.p99_ms, "queries": m.queries, "runs": len(m.runs)}
            for key, m in found.items()
        }
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
