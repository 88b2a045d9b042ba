"""How busy the machine was: uptime and load average, and CPU busy per core over a window (/proc/stat)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from scripts.bench_outbox.report import machine


def uptime() -> str:
    """``uptime``'s line (up since, load average over 1, 5 and 15 minutes)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        one, five, fifteen = os.getloadavg()
        return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def cpu_times(stat: str | None = None) -> dict[str, tuple[int, int]]:
    """(busy, total) jiffies per CPU line of /proc/stat ("cpu" for all, "cpu0", "cpu1", ...)."""
    text = stat if stat is not None else Path("/proc/stat").read_text()
    out: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        if not line.startswith("cpu"):
            continue
        name, *fields = line.split()
        values = [int(field) for field in fields[:8]]  # user nice system idle iowait irq softirq steal
        idle = values[3] + values[4]
        out[name] = (sum(values) - idle, sum(values))
    return out


def busy(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> dict[str, float]:
    """Fraction of each CPU busy between two ``cpu_times`` samples."""
    out: dict[str, float] = {}
    for name, (busy_after, total_after) in after.items():
        busy_before, total_before = before.get(name, (0, 0))
        elapsed = total_after - total_before
        out[name] = (busy_after - busy_before) / elapsed if elapsed > 0 else 0.0
    return out


def background(seconds: float = 2.0) -> dict[str, float]:
    """Each core's busy fraction over ``seconds`` of doing nothing ourselves: other work on the machine."""
    import time

    before = cpu_times()
    time.sleep(seconds)
    return busy(before, cpu_times())


def description() -> dict[str, str]:
    """The machine, as bench_outbox describes it (cores, CPU, memory, kernel, Python)."""
    found = machine()
    return {"cores": found.pop("nproc"), **found}
