"""Chaos run: orderflow's processes under load while the broker, the database and Redis fail.

Not a test: it asserts nothing, it measures and prints. ``make chaos`` runs it (it takes minutes).
It starts everything it uses and removes it at the end, on Ctrl-C and on failure too:

- its own PostgreSQL cluster (``pg_createcluster 15 orderflow_chaos --port 5439``, dropped at the
  end), its own RabbitMQ node (``chaos@localhost`` on 5679, data and logs under the run directory)
  and its own Redis (``redis-server --port 6392``); the shared services on 5432, 5672 and 6379 are
  never touched. It must run as root (to create and stop the cluster);
- orderflow as an operator runs it: the API (gunicorn, 2 workers x 4 threads, as the API image),
  the Celery worker, beat, ``drain_outbox --loop`` (the outbox dispatcher) and ``consume_events``,
  each restarted by a supervisor when it exits;
- a bounded load: 5 customers placing (and some cancelling) orders over HTTP with their JWT and an
  Idempotency-Key, a reader listing orders, /health/live probed every 0.1 s and /health/ready
  every second.

Then the scenarios, one row each: (a) baseline; (b) RabbitMQ stopped 60 s; (c) PostgreSQL stopped
30 s; (d) Redis stopped 20 s, then frozen (SIGSTOP) 20 s; (e) 20 kill -9 of the worker, the dispatcher
and the consumers; (f) malformed messages on two consumer queues, then two replays of the dead
letters. ``--quick`` shortens the faults. The table: requests by status during the fault, write
p50/p99 and read p99, /health/live max latency, events lost, end states that disagree, effects
doubled, time to converge after the fault (``checks`` says exactly what each counts).

    .venv/bin/python -m scripts.chaos [--quick] [--only abcdef] [--skip ...] [--max-minutes 30]

Logs of every process are kept under var/chaos/<time>/logs/.
"""

from __future__ import annotations

import argparse
import atexit
import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import requests

from . import checks
from .load import Load, sign_up
from .report import load_average, say, table
from .scenarios import SCENARIOS, Context, Durations, run
from .services import Postgres, RabbitMQ, Redis, port_free, remove_tree, wait_until
from .stack import Stack

BASE_DIR = Path(__file__).resolve().parent.parent.parent
WRITERS = 5


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.chaos", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="shorter faults (broker 30 s, database 15 s, Redis 10 s)")
    parser.add_argument("--only", default="".join(SCENARIOS), help="scenarios to run, by letter (default: abcdef)")
    parser.add_argument("--skip", default="", help="scenarios to leave out, by letter")
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=30.0,
        help="total bound: a scenario that cannot finish within it is not started (default 30)",
    )
    parser.add_argument("--writers", type=int, default=WRITERS, help=f"concurrent writers (default {WRITERS})")
    parser.add_argument("--pg-port", type=int, default=5439)
    parser.add_argument("--amqp-port", type=int, default=5679)
    parser.add_argument("--redis-port", type=int, default=6392)
    parser.add_argument("--api-port", type=int, default=8790)
    args = parser.parse_args()
    unknown = set(args.only + args.skip) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario letter(s): {''.join(sorted(unknown))}; known: {''.join(SCENARIOS)}")
    return args


def role_environment(postgres: Postgres, rabbitmq: RabbitMQ, redis: Redis) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing of the caller's orderflow configuration: this stack is configured here, entirely.
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "EVENTS_", "JWT_", "RATE_LIMIT_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DOTENV_FILE": "",  # a developer's .env must not point the run elsewhere
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "JWT_ALGORITHM": "HS256",
            "JWT_SECRET": secrets.token_urlsafe(48),
            "JWT_ACCESS_TOKEN_LIFETIME": "7200",
            "PAYMENT_PROVIDER": "simulated",
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "CELERY_BROKER_URL": rabbitmq.url,
            "EVENTS_BROKER_URL": rabbitmq.url,
            # Five customers from one address sign up and write fast: the limits are not what is measured.
            "RATE_LIMIT_TOKEN": "1000/m",
            "RATE_LIMIT_REGISTER": "1000/m",
            "RATE_LIMIT_WRITES": "6000/m",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
            "CHAOS_PYTHON": sys.executable,
        }
    )
    return env


def manage(env: dict[str, str], *command: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *command], env=env, cwd=BASE_DIR, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def estimated_seconds(letter: str, d: Durations) -> float:
    """A generous guess of one scenario's length, for the total bound."""
    around = d.pre + d.post + 20  # load before and after, convergence on a healthy stack
    return {
        "a": d.baseline + around,
        "b": d.broker + around + 30,
        "c": d.database + around + 20,
        "d": 2 * (d.redis + around),
        "e": d.kills * d.kill_every + around + 30,
        "f": around + 60,
    }[letter]


def main() -> int:
    args = parse()
    if os.geteuid() != 0:
        raise SystemExit("chaos: run as root: it creates, stops and drops a PostgreSQL cluster of its own")
    taken = [
        port
        for port in (args.pg_port, args.amqp_port, args.amqp_port + 20000, args.redis_port, args.api_port)
        if not port_free(port)
    ]
    if taken:
        raise SystemExit(f"chaos: port(s) {taken} already in use; choose others (--pg-port, --amqp-port, ...)")
    durations = Durations.of(args.quick)
    letters = [letter for letter in SCENARIOS if letter in args.only and letter not in args.skip]
    run_dir = BASE_DIR / "var" / "chaos" / time.strftime("%Y%m%dT%H%M%S")
    run_dir.mkdir(parents=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()

    postgres = Postgres("orderflow_chaos", args.pg_port, "orderflow_chaos")
    rabbitmq = RabbitMQ(run_dir, args.amqp_port, args.amqp_port + 20000, "chaos@localhost")
    redis = Redis(run_dir, args.redis_port)
    stack: Stack | None = None
    load: Load | None = None
    cleaned = False

    def clean_up() -> None:
        nonlocal cleaned
        if cleaned:
            return
        cleaned = True
        say("clean-up: stopping the load, orderflow's processes, RabbitMQ, Redis; dropping the PostgreSQL cluster")
        if load is not None:
            with suppress(Exception):
                load.stop()
        if stack is not None:
            with suppress(Exception):
                stack.stop()
        with suppress(Exception):
            rabbitmq.close()
        with suppress(Exception):
            redis.close()
        with suppress(Exception):
            postgres.drop()
        remove_tree(run_dir / "rabbitmq" / "mnesia")
        remove_tree(run_dir / "redis")
        say(f"clean-up: done; logs kept in {run_dir.relative_to(BASE_DIR)}")

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    atexit.register(clean_up)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    started = time.monotonic()
    load_at_start = load_average()
    revision = f"{commit}{' (with uncommitted changes)' if dirty else ''}"
    say(f"chaos: commit {revision}, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    say(f"chaos: load average at start {load_at_start}")
    say(f"chaos: scenarios {''.join(letters)}{' (quick)' if args.quick else ''}; bound {args.max_minutes:g} min")
    try:
        say(f"setup: Redis on {args.redis_port}")
        redis.start()
        say(f"setup: RabbitMQ node chaos@localhost on {args.amqp_port}")
        rabbitmq.prepare()
        say(f"  RabbitMQ answered after {rabbitmq.start():.1f} s")
        say(f"setup: PostgreSQL cluster orderflow_chaos on {args.pg_port}")
        postgres.create()
        env = role_environment(postgres, rabbitmq, redis)
        say("setup: migrate, declare_event_topology, sync_roles")
        manage(env, "migrate", "--no-input", "-v", "0")
        bindings = checks.parse_bindings(manage(env, "declare_event_topology", "--skip-retention"))
        manage(env, "sync_roles", "-v", "0")
        say("setup: consumers " + "; ".join(f"{name} <- {', '.join(keys)}" for name, keys in bindings.items()))
        stack = Stack(env, BASE_DIR, run_dir / "logs", args.api_port)
        stack.start()
        base = f"http://127.0.0.1:{args.api_port}"
        boot = wait_until(lambda: requests.get(f"{base}/health/ready", timeout=2).status_code == 200, 120, "the API")
        say(f"setup: api, worker, beat, dispatcher, consumer started; the API ready after {boot:.1f} s")
        stamp = secrets.token_hex(3)
        tokens = [sign_up(base, f"writer{n}-{stamp}@chaos.example") for n in range(args.writers + 1)]
        load = Load(base, tokens[1:], reader_token=tokens[1])
        say(f"setup: {args.writers} writer customers and a reader signed up")
        ctx = Context(
            load=load,
            stack=stack,
            postgres=postgres,
            rabbitmq=rabbitmq,
            redis=redis,
            durations=durations,
            bindings=bindings,
            env=env,
            cwd=BASE_DIR,
            api_log=run_dir / "logs" / "api.log",
        )
        skipped = []
        for letter in letters:
            left = args.max_minutes * 60 - (time.monotonic() - started)
            if estimated_seconds(letter, durations) > left:
                skipped.append(letter)
                say(f"scenario {letter} not started: it would not finish within --max-minutes ({left:.0f} s left)")
                continue
            for key, name, fault in SCENARIOS[letter][1]:
                run(ctx, key, name, fault)
        totals = checks.outbox_totals(postgres.dsn())
        failures = checks.dead_letters(postgres.dsn())
        restarts = stack.restarts()
    except KeyboardInterrupt as exc:
        say(f"chaos: interrupted ({str(exc) or 'Ctrl-C'})")
        clean_up()
        return 130
    except Exception:
        clean_up()
        raise
    clean_up()

    table(ctx.rows, next((row["write_p99"] for row in ctx.rows if row["key"] == "a"), None))
    print(f"outbox at the end: {', '.join(f'{k} {v}' for k, v in sorted(totals.items()))}")
    print(f"delivery failures at the end: {', '.join(f'{k} {v}' for k, v in sorted(failures.items())) or 'none'}")
    print("process restarts by the supervisor: " + ", ".join(f"{k} {v}" for k, v in restarts.items()))
    if skipped:
        print(f"not run (time bound): {''.join(skipped)}")
    print(f"load average at start {load_at_start}")
    print(f"load average at end   {load_average()}")
    print(f"commit {revision}; total {time.monotonic() - started:.0f} s")
    print("reproduce: make chaos" + (" CHAOS_ARGS=--quick" if args.quick else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
