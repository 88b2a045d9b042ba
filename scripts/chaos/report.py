"""Output: timestamped progress lines, how busy the machine is, and the table of the scenarios."""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {text}", flush=True)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None when there is nothing to rank."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cores"


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f}" if value < 10 else f"{value:.1f}s"


def statuses(counter: Counter[str]) -> str:
    return " ".join(f"{status}:{count}" for status, count in sorted(counter.items())) or "-"


COLUMNS = [
    ("scenario", 26),
    ("fault", 8),
    ("requests by status (during the fault)", 44),
    ("write p50", 9),
    ("write p99", 9),
    ("read p99", 8),
    ("live max", 8),
    ("lost", 5),
    ("mismatch", 8),
    ("doubled", 7),
    ("converged", 10),
]


def table(rows: list[dict[str, Any]], baseline_p99: float | None) -> None:
    """One row per scenario: what the clients saw during the fault, and the consistency after it."""
    print()
    print("=" * 160)
    print(
        "chaos results (latencies in ms unless marked s; 'timeout'/'error' = the client gave up or could not connect)"
    )
    header = "  ".join(f"{name:<{width}}" for name, width in COLUMNS)
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = [
            row["name"],
            f"{row['fault_seconds']:.0f} s",
            statuses(row["statuses"]),
            ms(row["write_p50"]),
            ms(row["write_p99"]),
            ms(row["read_p99"]),
            ms(row["live_max"]),
            str(row["lost"]),
            str(row["mismatch"]),
            str(row["doubled"]),
            "-" if row["converged"] is None else f"{row['converged']:.1f} s",
        ]
        if row["converged"] is None and row.get("convergence_limit"):
            cells[-1] = f">{row['convergence_limit']:.0f} s"
        print("  ".join(f"{cell:<{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True)))
        wrapped = statuses(row["statuses"])
        if len(wrapped) > COLUMNS[2][1]:
            print(f"    all statuses: {wrapped}")
    print("-" * len(header))
    if baseline_p99 is not None:
        print(f"broker-up baseline write p99: {ms(baseline_p99)} ms; each fault's write p99 relative to it:")
        for row in rows:
            if row["write_p99"] is not None and row["name"] != "a baseline":
                print(f"  {row['name']:<26} {row['write_p99'] / baseline_p99:5.1f}x")
    print()
    print("notes per scenario")
    for row in rows:
        for note in row["notes"]:
            print(f"  {row['name']:<26} {note}")
    print("=" * 160)
