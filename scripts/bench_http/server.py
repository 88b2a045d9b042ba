"""The server under test: gunicorn as the API image runs it, but one sync worker, pinned to core 0."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .environment import BASE_DIR


class Server:
    """One gunicorn (``READ_CACHE_ENABLED`` true or false), started and stopped by the harness."""

    def __init__(self, env: dict[str, str], run_dir: Path, port: int, *, read_cache: bool) -> None:
        self.env = {**env, "READ_CACHE_ENABLED": "true" if read_cache else "false"}
        self.read_cache = read_cache
        self.port = port
        self.log = run_dir / "logs" / f"gunicorn-cache-{'on' if read_cache else 'off'}.log"
        self.control_socket = run_dir / "gunicorn.ctl"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        return [
            "taskset",
            "-c",
            "0",
            gunicorn,
            "config.wsgi:application",
            "--config",
            "config/gunicorn.py",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            # config/gunicorn.py's GUNICORN_THREADS default (4) would turn the sync worker into gthread.
            "--threads",
            "1",
            "--forwarded-allow-ips",
            "*",
            # Not the default ~/.gunicorn/gunicorn.ctl, which any other gunicorn of the same user shares.
            "--control-socket",
            str(self.control_socket),
        ]

    def start(self, timeout: float = 60.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.command(), env=self.env, cwd=BASE_DIR, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health/live", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /health/live within {timeout:g} s; see {self.log}")

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
