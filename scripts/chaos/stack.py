"""orderflow's processes as an operator runs them, each restarted when it exits (as a supervisor would).

The roles and their command lines follow deployments/: the API is gunicorn as the API image runs
it (2 workers, 4 threads each), the worker is Celery's threads pool of 2 as in the Procfile, beat
uses the database scheduler, ``consume_events`` runs every consumer, and ``drain_outbox --loop`` is
the outbox dispatcher. Each writes its output to ``<run dir>/logs/<role>.log``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .report import say

#: How long the supervisor waits before starting an exited process again (systemd's RestartSec=1).
RESTART_DELAY = 1.0

#: The first line a role prints once Django is set up and it starts its loop: when it is up again.
UP_MARKERS = {"dispatcher": b"draining the outbox every", "consumer": b"consuming for"}


def role_commands(api_port: int, run_dir: Path) -> dict[str, list[str]]:
    python = sys.executable
    celery = str(Path(python).with_name("celery"))
    gunicorn = str(Path(python).with_name("gunicorn"))
    return {
        "api": [
            gunicorn,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{api_port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--forwarded-allow-ips",
            "*",
            # Not the default ~/.gunicorn/gunicorn.ctl, which any other gunicorn of the same user shares.
            "--control-socket",
            str(run_dir / "gunicorn.ctl"),
        ],
        "worker": [
            celery,
            "-A",
            "config",
            "worker",
            # Both Celery queues, as make run's worker: the default one and the webhooks' sends.
            "-Q",
            "celery,webhooks",
            "--pool=threads",
            "--concurrency=2",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--hostname=chaos-worker@%h",
        ],
        "dispatcher": [python, "manage.py", "drain_outbox", "--loop"],
        "beat": [celery, "-A", "config", "beat", "--loglevel=WARNING"],
        "consumer": [python, "manage.py", "consume_events"],
    }


@dataclass
class Role:
    name: str
    command: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    exits: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, status)
    #: Seconds from each (re)start to its up marker, for the roles that print one (``UP_MARKERS``).
    up_after: list[float] = field(default_factory=list)
    _spawned_at: float = 0.0
    _log_offset: int | None = None  # while its up marker is awaited: where this start's output begins

    def spawn(self, env: dict[str, str], cwd: Path) -> None:
        self._spawned_at = time.monotonic()
        self._log_offset = self.log.stat().st_size if self.name in UP_MARKERS and self.log.exists() else None
        if self.name in UP_MARKERS and self._log_offset is None:
            self._log_offset = 0
        with open(self.log, "ab") as out:
            out.write(f"--- start {self.starts + 1} at {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                self.command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def starting(self) -> bool:
        """Started but not up yet (its up marker not printed); False for roles without a marker."""
        return self._log_offset is not None

    def look_for_up_marker(self) -> None:
        if self._log_offset is None:
            return
        with open(self.log, "rb") as handle:
            handle.seek(self._log_offset)
            if UP_MARKERS[self.name] in handle.read():
                self.up_after.append(time.monotonic() - self._spawned_at)
                self._log_offset = None


class Stack:
    """The roles, and the supervisor thread that starts again any role whose process exited."""

    def __init__(self, env: dict[str, str], cwd: Path, logs: Path, api_port: int) -> None:
        self.env, self.cwd = env, cwd
        logs.mkdir(parents=True, exist_ok=True)
        commands = role_commands(api_port, logs.parent)
        self.roles = {name: Role(name, command, logs / f"{name}.log") for name, command in commands.items()}
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._supervise, name="supervisor", daemon=True)

    def start(self) -> None:
        for role in self.roles.values():
            role.spawn(self.env, self.cwd)
        self._thread.start()

    def _supervise(self) -> None:
        due: dict[str, float] = {}
        while not self._stopping.wait(0.1):
            now = time.monotonic()
            with self._lock:
                for role in self.roles.values():
                    role.look_for_up_marker()
                    if role.proc is None or role.alive():
                        continue
                    if role.name not in due:
                        role.exits.append((now, role.proc.returncode))
                        due[role.name] = now + RESTART_DELAY
                    elif now >= due[role.name]:
                        del due[role.name]
                        role.spawn(self.env, self.cwd)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int | None:
        """Send ``sig`` to the role's main process (as ``kill -9 PID`` would); its pid, or None if it was down."""
        with self._lock:
            role = self.roles[name]
            if not role.alive():
                return None
            assert role.proc is not None
            pid = role.proc.pid
            os.kill(pid, sig)
            return pid

    def wait_up(self, names: tuple[str, ...], timeout: float) -> None:
        """Wait until each of ``names`` (roles with an up marker) has printed it, at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(self.roles[name].starting for name in names):
            time.sleep(0.1)

    def restarts(self) -> dict[str, int]:
        return {name: role.starts - 1 for name, role in self.roles.items()}

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to every role's process group, SIGKILL to what is left after ``timeout``."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(5)
        with self._lock:
            running = [role for role in self.roles.values() if role.alive()]
            for role in running:
                assert role.proc is not None
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(role.proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            for role in running:
                assert role.proc is not None
                try:
                    role.proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    say(f"  {role.name} did not stop within {timeout:g} s of SIGTERM: SIGKILL")
            for role in self.roles.values():
                if role.proc is not None:
                    with contextlib.suppress(ProcessLookupError):  # the group: gunicorn's workers, any leftover
                        os.killpg(role.proc.pid, signal.SIGKILL)
                    role.proc.wait()
