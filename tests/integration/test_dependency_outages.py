"""Real outages, seen through a real API process: PostgreSQL and Redis are stopped and started again.

The module starts a PostgreSQL cluster and a Redis server of its own, on free ports (the shared services are
never touched), copies the test database into the cluster, and serves the API with gunicorn (one worker,
which keeps its database connection between requests, CONN_MAX_AGE, as in production). The tests stop and
start those two servers and watch the answers and the log; at the end the cluster is dropped and Redis
stopped. Skipped only where the PostgreSQL cluster tools or redis-server are not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.support.ci import skip_unless_ci
from tests.support.constants import PASSWORD
from tests.support.outages import closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, scope="module")
def _tools() -> None:
    if not (shutil.which("pg_createcluster") and shutil.which("pg_ctlcluster") and shutil.which("redis-server")):
        skip_unless_ci("needs the PostgreSQL cluster tools (pg_createcluster) and redis-server")


ROOT = Path(__file__).resolve().parents[2]
# Reads and writes on the write side and on the read models (the listing of one's orders), both on PostgreSQL.
ORDERS = "/api/v2/orders"
ORDER = {"currency": "EUR", "items": [{"sku": "book-123", "quantity": 1, "unit_price": "5.00"}]}
PROBLEM_TYPE = "urn:orderflow:problem:service-unavailable"


@dataclass
class Answer:
    status: int
    headers: Any
    body: Any


@dataclass
class Stack:
    """The API process and the servers it depends on, all of them this module's own."""

    base: str
    log: Path
    pg_version: str
    cluster: str
    redis_port: int
    redis: subprocess.Popen[bytes]

    def call(self, method: str, path: str, body: Any = None, token: str | None = None, **extra: str) -> Answer:
        headers = {"Content-Type": "application/json", **extra}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                status, answer_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, raw = error.code, error.headers, error.read()
        content_type = answer_headers.get("Content-Type", "")
        return Answer(status, answer_headers, json.loads(raw) if "json" in content_type else raw.decode())

    def postgresql(self, action: str) -> None:
        subprocess.run(["pg_ctlcluster", self.pg_version, self.cluster, action], check=True, capture_output=True)

    def start_redis(self) -> None:
        self.redis = start_redis(self.redis_port)

    def stop_redis(self) -> None:
        self.redis.terminate()
        self.redis.wait(timeout=10)

    def log_lines(self, since: int = 0) -> list[dict[str, Any]]:
        """The API process's JSON log lines, from line ``since`` on."""
        lines = self.log.read_text().splitlines()[since:]
        return [json.loads(line) for line in lines if line.startswith("{")]

    def log_length(self) -> int:
        return len(self.log.read_text().splitlines())


# A throwaway cluster: local connections without a password, nothing synced to disk at creation.
INITDB = ("--auth=trust", "--no-sync")


def gunicorn_options(port: int) -> list[str]:
    # One sync worker: every request meets the connection the previous one left (CONN_MAX_AGE).
    return ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60", "--no-control-socket"]


def installed_postgresql() -> str:
    """The newest PostgreSQL major version whose server is installed."""
    versions = [path.name for path in Path("/usr/lib/postgresql").glob("*") if (path / "bin" / "postgres").exists()]
    return max(versions, key=int)


def start_redis(port: int) -> subprocess.Popen[bytes]:
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout == b"PONG\n")
    return redis


def wait_for(ready: Any, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError("a service of the outage tests did not start")
        time.sleep(0.1)


def copy_test_database(source: dict[str, Any], port: int) -> None:
    """The test database (migrated, with its roles and permissions) into the new cluster's ``orderflow``."""
    target = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    subprocess.run(["psql", *target, "-q", "-c", "CREATE DATABASE orderflow"], check=True, capture_output=True)
    env = {**os.environ, "PGPASSWORD": source["PASSWORD"] or ""}
    dump = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "--no-privileges",
            "-h",
            source["HOST"] or "127.0.0.1",
            "-p",
            str(source["PORT"] or 5432),
            "-U",
            source["USER"] or "postgres",
            source["NAME"],
        ],
        check=True,
        capture_output=True,
        env=env,
    ).stdout
    subprocess.run(
        ["psql", *target, "-q", "-v", "ON_ERROR_STOP=1", "-d", "orderflow"], input=dump, check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Stack]:
    with django_db_blocker.unblock():
        source = dict(connection.settings_dict)
    version, cluster = installed_postgresql(), f"orderflow_outage_{uuid.uuid4().hex[:8]}"
    pg_port, redis_port, web_port = closed_port(), closed_port(), closed_port()
    log = tmp_path_factory.mktemp("outages") / "api.log"
    subprocess.run(
        [*("pg_createcluster", version, cluster, "--port", str(pg_port), "--start-conf=manual"), "--", *INITDB],
        check=True,
        capture_output=True,
    )
    redis = server = None
    try:
        subprocess.run(["pg_ctlcluster", version, cluster, "start"], check=True, capture_output=True)
        copy_test_database(source, pg_port)
        redis = start_redis(redis_port)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/orderflow",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "EVENTS_BROKER_URL": "memory://",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
        }
        with log.open("wb") as output:
            server = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", *gunicorn_options(web_port)],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        stack = Stack(f"http://127.0.0.1:{web_port}", log, version, cluster, redis_port, redis)
        wait_for(lambda: _answers(stack))
        yield stack
    finally:
        for process in (server, stack.redis if redis else None):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
        subprocess.run(["pg_dropcluster", "--stop", version, cluster], capture_output=True)


def _answers(stack: Stack) -> bool:
    try:
        return stack.call("GET", "/health/live").status == 200
    except OSError:
        return False


def signed_in(stack: Stack) -> tuple[str, str]:
    """A new customer's e-mail address and access token."""
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    registered = stack.call(
        "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "display_name": "Outage"}
    )
    assert registered.status == 201, registered.body
    signed = stack.call("POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    assert signed.status == 200, signed.body
    return email, str(signed.body["access"])


def assert_unavailable(answer: Answer, detail: str) -> None:
    assert answer.status == 503, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["Retry-After"] == "5"
    assert answer.body["type"] == PROBLEM_TYPE
    assert answer.body["detail"] == detail
    assert "127.0.0.1" not in json.dumps(answer.body)


def test_with_postgresql_down_api_calls_are_503_and_the_first_request_after_it_is_back_succeeds(stack):
    _, token = signed_in(stack)
    assert stack.call("GET", ORDERS, token=token).status == 200  # the worker now holds a connection
    log_start = stack.log_length()

    stack.postgresql("stop")
    started = time.monotonic()
    # a page no worker has read yet: the one just read may be in the read cache of the worker that read it
    reads = [stack.call("GET", f"{ORDERS}?status=paid", token=token) for _ in range(10)]
    key = {"Idempotency-Key": uuid.uuid4().hex}
    write = stack.call("POST", ORDERS, ORDER, token=token, **key)
    ready = stack.call("GET", "/health/ready")
    live = stack.call("GET", "/health/live")
    outage = time.monotonic() - started
    stack.postgresql("start")
    after = stack.call("POST", ORDERS, ORDER, token=token, **key)

    for answer in [*reads, write]:
        assert_unavailable(answer, "The database is unavailable; try again in a few seconds.")
    assert ready.status == 503
    assert ready.body["checks"] == {"database": "failed: OperationalError", "redis": "ok"}
    assert live.status == 200
    assert after.status == 201, after.body  # the key of the refused write was never kept: this is no replay
    assert "Idempotent-Replayed" not in after.headers
    lines = stack.log_lines(log_start)
    assert not [line for line in lines if line["level"] in {"error", "critical"}]
    warnings = [line for line in lines if line["event"] == "dependency unavailable"]
    assert 1 <= len(warnings) <= 1 + int(outage // 5)
    assert {line["dependency"] for line in warnings} == {"database"}


def test_a_restart_of_postgresql_between_two_requests_goes_unnoticed(stack):
    _, token = signed_in(stack)

    stack.postgresql("restart")  # the worker's kept connection is now dead
    after = stack.call("GET", ORDERS, token=token)

    assert after.status == 200, after.body


def test_with_redis_down_sign_in_is_503_reads_go_on_and_all_is_back_when_it_is(stack):
    email, token = signed_in(stack)

    stack.stop_redis()
    try:
        refused = stack.call("POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
        read = stack.call("GET", ORDERS, token=token)
        write = stack.call("POST", ORDERS, ORDER, token=token)  # the write budget fails open
        ready = stack.call("GET", "/health/ready")
    finally:
        stack.start_redis()
    signed = stack.call("POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    ready_again = stack.call("GET", "/health/ready")

    assert_unavailable(refused, "The rate-limit store (Redis) cannot be reached; try again in a few seconds.")
    assert (read.status, write.status) == (200, 201)
    assert ready.status == 503
    assert ready.body["checks"] == {"database": "ok", "redis": "failed: ConnectionError"}
    assert signed.status == 200, signed.body
    assert ready_again.status == 200
