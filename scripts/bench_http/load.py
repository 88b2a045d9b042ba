"""The load generator: wrk on core 1 (``taskset -c 1``), its output parsed; a Python fallback without wrk.

wrk's own summary rounds its percentiles to two digits and prints them with units; the Lua ``done`` hook
below prints the figures the report needs as one JSON line instead (``BENCH_RESULT {...}``), in
microseconds, which ``parse_wrk`` reads. Every function here but ``run_wrk`` and ``run_python`` is pure.
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MARKER = "BENCH_RESULT "

#: wrk's ``done`` hook: its figures as one JSON line (microseconds); the writes' script ends with it too.
LUA_DONE = """\
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\\n',
    "MARKER", summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
""".replace("MARKER", MARKER)

LUA_SCRIPT = (
    "-- Written by scripts/bench_http/load.py: prints wrk's figures as one JSON line (microseconds).\n" + LUA_DONE
)


@dataclass(frozen=True)
class LoadResult:
    """One load run against one URL."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # connection errors, timeouts and responses of status 400 or above
    generator: str = "wrk"

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def parse_wrk(output: str) -> LoadResult:
    """The figures of one wrk run, from the ``BENCH_RESULT`` line its ``done`` hook printed."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            break
    else:
        raise ValueError(f"no {MARKER.strip()} line in wrk's output:\n{output[-2000:]}")
    errors = sum(
        int(data[key]) for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return LoadResult(
        requests=int(data["requests"]),
        seconds=int(data["duration_us"]) / 1e6,
        p50_ms=int(data["p50_us"]) / 1000,
        p90_ms=int(data["p90_us"]) / 1000,
        p99_ms=int(data["p99_us"]) / 1000,
        max_ms=int(data["max_us"]) / 1000,
        errors=errors,
    )


def wrk_command(url: str, headers: dict[str, str], *, seconds: float, connections: int, script: Path) -> list[str]:
    command = [
        "taskset",
        "-c",
        "1",
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--script",
        str(script),
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return [*command, url]


def wrk_available() -> bool:
    return shutil.which("wrk") is not None and shutil.which("taskset") is not None


def run_wrk(url: str, headers: dict[str, str], *, seconds: float, connections: int, script: Path) -> LoadResult:
    command = wrk_command(url, headers, seconds=seconds, connections=connections, script=script)
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr.strip() or result.stdout[-1000:]}")
    return parse_wrk(result.stdout)


def run_python(
    url: str,
    headers: dict[str, str],
    *,
    seconds: float,
    connections: int,
    requests: list[tuple[str, str, dict[str, str], str]] | None = None,
) -> LoadResult:
    """The fallback without wrk: ``connections`` threads, each one request at a time, a new connection each
    (the sync worker closes every connection after its response anyway). The GIL makes it a weaker
    generator than wrk: its req/s are a floor, and the report says which generator ran.

    ``requests`` (method, path, extra headers, body) are sent in turn, as the writes' Lua script sends
    them; without them, every request is a GET of ``url``."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    sent = 0

    def next_request() -> tuple[str, str, dict[str, str], str | None]:
        nonlocal sent
        if not requests:
            return "GET", path, headers, None
        with lock:
            method, target, extra, body = requests[sent % len(requests)]
            sent += 1
        return method, target, {**headers, **extra}, body

    def client() -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            method, target, sending, body = next_request()
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
                conn.request(method, target, body=body, headers=sending)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status >= 400:
                    failed += 1
            except OSError:
                failed += 1
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(ordered, 0.50) * 1000,
        p90_ms=percentile(ordered, 0.90) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        max_ms=ordered[-1] * 1000,
        errors=errors,
        generator="python",
    )


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
