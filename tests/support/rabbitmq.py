"""A RabbitMQ node of a test's own, with the management plugin, on free ports under a temporary directory.

For what the broker the other tests use cannot do: it may run without the management plugin,
and policies set on it would reach every queue they match. The node has its own name, Erlang
cookie (HOME), data, logs, configuration and plugins file; ``stop`` stops it alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from base64 import b64encode
from pathlib import Path

SERVER = Path(os.environ.get("RABBITMQ_SERVER", "/usr/lib/rabbitmq/bin/rabbitmq-server"))
CTL = SERVER.with_name("rabbitmqctl")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRabbitMQ:
    """``start()`` answers once the AMQP and management listeners are up; ``stop()`` stops this node only."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.name = f"orderflow-test-{uuid.uuid4().hex[:8]}@localhost"
        self.amqp_port, self.management_port, self.dist_port = free_port(), free_port(), free_port()
        self.amqp_url = f"amqp://guest:guest@127.0.0.1:{self.amqp_port}//"
        self.management_url = f"http://guest:guest@127.0.0.1:{self.management_port}"
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return SERVER.is_file() and CTL.is_file() and shutil.which("erl") is not None

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.base / "home"),  # the Erlang cookie: this node's own
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self, *, timeout: float = 90.0) -> PrivateRabbitMQ:
        for folder in ("home", "mnesia", "log"):
            (self.base / folder).mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n"
            "collect_statistics_interval = 500\n"  # the management API's view of a queue, twice a second
        )
        (self.base / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self.base / "rabbitmq-env.conf").write_text("")
        with open(self.base / "server.log", "wb") as log:
            self._process = subprocess.Popen(
                [str(SERVER)], env=self._environment(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log_text = (self.base / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the private RabbitMQ node did not start:\n{log_text}")
            time.sleep(0.5)
        return self

    def _answers(self) -> bool:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.management_port}/api/overview",
            headers={"Authorization": "Basic " + b64encode(b"guest:guest").decode()},
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def ctl(self, *args: str) -> str:
        done = subprocess.run(
            [str(CTL), "-n", self.name, *args],
            env=self._environment(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            self.ctl("stop")
            process.wait(timeout=60)
        except (subprocess.SubprocessError, OSError):
            os.killpg(process.pid, signal.SIGKILL)  # the group this node was started in, nothing else
            process.wait(timeout=10)
