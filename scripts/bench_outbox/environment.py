"""Where the benchmark runs: its database, its broker objects and the Django configuration.

Everything here is the benchmark's own: a database whose name must contain "bench" (dropped and
recreated), exchanges and queues under names of their own, settings pointed at them. Child processes
inherit the configuration through os.environ.
"""

from __future__ import annotations

import os
import secrets
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import project

BASE_DIR = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/orderflow_bench"
DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
#: The benchmark's broker objects are named under this prefix; BENCH_BROKER_PREFIX gives two runs on one
#: broker (two checkouts, say) names of their own.
PREFIX = os.environ.get("BENCH_BROKER_PREFIX", "orderflow-bench")
EXCHANGE = f"{PREFIX}.events"
DEAD_LETTER_EXCHANGE = f"{PREFIX}.dead-letters"
RAW_QUEUE = f"{PREFIX}.raw"
# Queue orderflow.users-read-bench by default; same handler as users-read.
CONSUMER_NAME = "users-read-bench" if PREFIX == "orderflow-bench" else f"users-read-{PREFIX}"


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

    return dataclasses.replace(project.users_read_consumer(), name=CONSUMER_NAME)


def admin_dsn(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop and recreate {name!r}: a benchmark's database name must contain 'bench'")
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

    broker = project.load(project.BROKER)
    with broker.connection(connect_timeout=3) as conn:
        for name in queue_names:
            with suppress(NotFound):
                conn.default_channel.queue_delete(name)
        for name in (EXCHANGE, DEAD_LETTER_EXCHANGE):
            with suppress(NotFound):
                conn.default_channel.exchange_delete(name)
