"""Output: progress lines, the table on stdout, the markdown fragment and the chart under docs/ops/."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .endpoints import ratios

if TYPE_CHECKING:
    from .phases import Measured

STARTED = time.monotonic()
#: docs/ops/performance.md keeps its prose; the run replaces what lies between these two lines.
BEGIN = "<!-- bench-http results: begin (written by `make bench-http`) -->"
END = "<!-- bench-http results: end -->"


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {text}", flush=True)


def fmt(value: float | None, pattern: str = "{:,.0f}") -> str:
    return "-" if value is None or value != value else pattern.format(value)  # value != value: NaN


def results_table(found: dict[str, Measured], order: list[str]) -> list[list[str]]:
    """One row per endpoint: req/s (median across rounds), p50 and p99 (medians), queries, per round."""
    rows = [["endpoint", "req/s", "p50 ms", "p99 ms", "queries", "core 0 busy", "req/s per round", "errors"]]
    for key in order:
        if key not in found:
            continue
        m = found[key]
        rows.append(
            [
                m.endpoint.label,
                fmt(m.rate),
                fmt(m.p50_ms, "{:.1f}"),
                fmt(m.p99_ms, "{:.1f}"),
                fmt(m.queries, "{}"),
                fmt(m.core("cpu0") * 100, "{:.0f}%"),
                " / ".join(fmt(run.rate) for run in m.runs),
                str(m.errors),
            ]
        )
    return rows


def ratio_rows(found: dict[str, Measured]) -> list[list[str]]:
    """Each ratio of the medians, and the same ratio within each round (the two sides measured minutes
    apart at most: on a machine whose other work comes and goes, the spread says how far to trust it)."""
    rates = {key: m.rate for key, m in found.items() if m.runs}
    per_round = [ratios(rates_of_round(found, n)) for n in range(max((len(m.runs) for m in found.values()), default=0))]
    p99 = ratios({key: m.p99_ms for key, m in found.items() if m.runs})
    rows = [["ratio (req/s over req/s, same run)", "of the medians", "within each round", "p99 over p99"]]
    for index, (what, value) in enumerate(ratios(rates)):
        rows.append(
            [
                what,
                fmt(value, "{:.2f}x"),
                " / ".join(fmt(r[index][1], "{:.2f}") for r in per_round),
                fmt(p99[index][1], "{:.2f}x"),
            ]
        )
    return rows


def rates_of_round(found: dict[str, Measured], number: int) -> dict[str, float]:
    """req/s of each endpoint in round ``number`` (those measured that many times)."""
    return {key: m.runs[number].rate for key, m in found.items() if len(m.runs) > number}


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def markdown_table(rows: list[list[str]]) -> str:
    head, *body = rows
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def fragment(results: dict[str, Any], found: dict[str, Measured], order: list[str], chart: str | None) -> str:
    """The results section of docs/ops/performance.md, markers included."""
    m = results["machine"]
    s = results["subject"]
    out = [
        BEGIN,
        "",
        f"Run of {results['date']} on commit `{results['commit']}`: {results['rounds']} rounds of "
        f"{results['seconds']:g} s per endpoint (after {results['warmup']:g} s of warm-up), "
        f"{results['connections']} connections, load generator: {results['generator']}; "
        f"{results['duration']:.0f} s in all.",
        "",
        f"- Machine: {m['cores']} cores ({m['cpu']}), {m['memory']}, Linux {m['kernel']}, Python {m['python']}; "
        f"{results['services']}.",
        f"- Load before: `{results['uptime_before']}`; cores busy over 2 s before the first round (other "
        f"work): {results['background']}",
        f"- Load after: `{results['uptime_after']}`",
        f"- Data: {s['total_orders']:,} orders ({results['seed_mode']}); the caller has {s['customer_orders']} orders"
        + (
            f"; {results['write_targets']:,} more of theirs awaiting payment were made for the cancels and webhooks."
            if results.get("write_targets")
            else "."
        ),
        "",
        markdown_table(results_table(found, order)),
        "",
        markdown_table(ratio_rows(found)),
        "",
    ]
    if chart:
        out += [f"![req/s per endpoint, ratios annotated]({chart})", ""]
    if results.get("growth"):
        out += ["**Growth** (read cache off; p99 in ms, req/s):", "", markdown_table(results["growth"]), ""]
    if results.get("profile"):
        out += profile_markdown(results["profile"])
    out.append(END)
    return "\n".join(out)


def profile_markdown(profiles: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for profile in profiles:
        out += [
            f"**Profile of one request**: `{profile.get('method', 'GET')} {profile['path']}` with READ_CACHE_ENABLED="
            f"{profile['read_cache']}, in process (Django's test client, the same settings and database), "
            f"status {profile['status']}, {profile['elapsed_ms']:.1f} ms under cProfile"
            + (
                f" ({profile['mean_us']:,.0f} µs a request without it, the mean of {profile['timed']} more)"
                if "mean_us" in profile
                else ""
            )
            + f"; top {profile['top']} by cumulative time:",
            "",
            "```",
            profile["stats"].rstrip(),
            "```",
            "",
            f"The top {profile['top_own']} by own time (tottime), where the CPU went (capturing the SQL turns on "
            "Django's debug cursor: its `debug_sql` is the profile's own cost, not the request's):",
            "",
            "```",
            profile["stats_own"].rstrip(),
            "```",
            "",
            f"Its {len(profile['queries'])} SQL queries:",
            "",
            "```sql",
            *[f"-- {q['time']} s\n{q['sql']}" for q in profile["queries"]],
            "```",
            "",
        ]
    return out


def write_fragment(path: Path, text: str) -> None:
    """Replace the results section of ``path`` (between BEGIN and END), or append one."""
    current = path.read_text() if path.exists() else ""
    if BEGIN in current and END in current:
        before = current.split(BEGIN, 1)[0]
        after = current.split(END, 1)[1]
        path.write_text(before + text + after)
    else:
        path.write_text(current.rstrip("\n") + ("\n\n" if current else "") + text + "\n")


def chart(path: Path, found: dict[str, Measured], order: list[str], title: str) -> bool:
    """A bar chart of req/s per endpoint, the ratios written beside it; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        logging.getLogger("matplotlib").setLevel(logging.WARNING)
        import matplotlib.pyplot as plt
    except ImportError:
        say("chart: matplotlib is not installed (`make install` installs the bench group); no PNG written")
        return False
    keys = [key for key in order if key in found and found[key].runs]
    labels = [found[key].endpoint.label for key in keys]
    rates = [found[key].rate for key in keys]
    colours = ["#9aa5b1" if found[key].endpoint.baseline else "#2f6fb0" for key in keys]
    fig, ax = plt.subplots(figsize=(11, 7.5))
    bars = ax.barh(labels[::-1], rates[::-1], color=colours[::-1])
    for bar, rate in zip(bars, rates[::-1], strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {rate:,.0f}", va="center", fontsize=9)
    ax.set_xlabel("requests per second (median of the rounds; one sync gunicorn worker on one core)")
    ax.set_title(title, fontsize=11)
    ax.set_xlim(0, max(rates) * 1.25 if rates else 1)
    note = "\n".join(f"{what}: {fmt(value, '{:.2f}x')}" for what, value in ratios({k: found[k].rate for k in keys}))
    fig.tight_layout(rect=(0, 0.16, 1, 1))  # the ratios go under the axes, clear of every bar and label
    fig.text(
        0.98,
        0.02,
        note,
        ha="right",
        va="bottom",
        fontsize=8.5,
        family="monospace",
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#cccccc"},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
