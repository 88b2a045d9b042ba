"""The run's own PostgreSQL cluster, RabbitMQ node and Redis server: started, hurt and removed by the run alone.

None of them is the shared one (5432, 5672, 6379): each listens on a port of its own and keeps its
data under the run's directory (PostgreSQL's cluster under /var/lib/postgresql, as
``pg_createcluster`` puts it, dropped at the end). Stopping, freezing and restarting them is what
the scenarios do; ``close`` undoes everything, whatever state it finds them in.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

PG_VERSION = "15"
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> float:
    """Call ``check`` until it is true; the seconds it took. TimeoutError after ``timeout``."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what} not up within {timeout:g} s")
        time.sleep(interval)


def quiet(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


class Postgres:
    """A cluster of its own (``pg_createcluster``), trust authentication on 127.0.0.1, one database."""

    def __init__(self, cluster: str, port: int, database: str) -> None:
        self.cluster, self.port, self.database = cluster, port, database
        self.created = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def dsn(self, database: str | None = None) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database or self.database} connect_timeout=3"

    def exists(self) -> bool:
        return Path(f"/etc/postgresql/{PG_VERSION}/{self.cluster}").exists()

    def create(self) -> None:
        if self.exists():  # a run interrupted before its clean-up: the cluster is this script's, by name
            self.drop()
        result = quiet(
            [
                "pg_createcluster",
                PG_VERSION,
                self.cluster,
                "--port",
                str(self.port),
                "--start-conf",
                "manual",
                # Small: it shares two cores and the memory with everything else (it listens on localhost
                # only, PostgreSQL's default).
                "-o",
                "shared_buffers=64MB",
                "-o",
                "max_connections=60",
                "--",
                "--auth=trust",
            ]
        )
        if result.returncode != 0:
            raise RuntimeError(f"pg_createcluster failed: {result.stderr.strip() or result.stdout.strip()}")
        self.created = True
        self.start()
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def start(self) -> None:
        result = quiet(["pg_ctlcluster", PG_VERSION, self.cluster, "start"])
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctlcluster start failed: {result.stderr.strip()}")
        wait_until(self.answers, 30, "PostgreSQL")

    def stop(self) -> None:
        quiet(["pg_ctlcluster", PG_VERSION, self.cluster, "stop", "-m", "fast"])

    def answers(self) -> bool:
        with psycopg.connect(self.dsn("postgres"), connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True

    def drop(self) -> None:
        quiet(["pg_dropcluster", PG_VERSION, self.cluster, "--stop"])
        self.created = False


class RabbitMQ:
    """A node of its own (``chaos@localhost``): its own ports, config, data and logs; no plugins."""

    def __init__(self, base: Path, port: int, dist_port: int, nodename: str) -> None:
        self.base, self.port, self.dist_port, self.nodename = base / "rabbitmq", port, dist_port, nodename
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def env(self) -> dict[str, str]:
        base = self.base
        return {
            **os.environ,
            "HOME": str(base),  # the Erlang cookie of this node lives here, not in the shared node's home
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
        }

    def prepare(self) -> None:
        for folder in ("mnesia", "log"):
            (self.base / folder).mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "loopback_users.guest = true\n"
            # The machine is shared: a low free-disk alarm would block publishers for reasons of its own.
            "disk_free_limit.absolute = 50MB\n"
        )
        (self.base / "advanced.config").write_text("[].\n")
        (self.base / "rabbitmq-env.conf").write_text("")
        (self.base / "enabled_plugins").write_text("[].\n")
        cookie = self.base / ".erlang.cookie"
        cookie.write_text("ORDERFLOWCHAOSCOOKIE")
        cookie.chmod(0o400)

    def start(self, timeout: float = 90.0) -> float:
        """Start the node; the seconds until it accepted an AMQP connection."""
        log = open(self.base / "log" / "server.out", "ab")  # noqa: SIM115 - the child holds it
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [RABBITMQ_SERVER], env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        wait_until(self.answers, timeout, "RabbitMQ", interval=0.5)
        return time.monotonic() - started

    def answers(self) -> bool:
        import amqp

        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"rabbitmq-server exited with status {self.proc.returncode}; see {self.base}/log")
        conn = amqp.Connection(f"127.0.0.1:{self.port}", userid="guest", password="guest", connect_timeout=2)
        conn.connect()
        conn.close()
        return True

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM: the node shuts down cleanly (the Erlang VM's handler); SIGKILL after ``timeout``."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._kill_leftovers()
        self.proc = None

    def _kill_leftovers(self) -> None:
        # erl_child_setup and friends of this node only: they share its session (process group).
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def close(self) -> None:
        self.stop(timeout=20)


class Redis:
    """``redis-server --port N`` without persistence; stoppable, and freezable with SIGSTOP."""

    def __init__(self, base: Path, port: int) -> None:
        self.base, self.port = base / "redis", port
        self.proc: subprocess.Popen[bytes] | None = None
        self.frozen = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        log = open(self.base / "redis.log", "ab")  # noqa: SIM115 - the child holds it
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until(self.answers, 15, "Redis")

    def answers(self) -> bool:
        import redis

        return bool(redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1).ping())

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.frozen:
            self.thaw()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def freeze(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)
        self.frozen = False

    def close(self) -> None:
        self.stop()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
