"""One request under cProfile (an order's detail, or placing an order), in a child process configured as
the servers are (same settings module, database, Redis, READ_CACHE_ENABLED), through Django's test client;
its SQL; and the mean time of ``TIMED`` more of the same request without the profiler."""

from __future__ import annotations

import cProfile
import json
import pstats
import re
import sysconfig
import time
from typing import Any

from . import project
from .environment import BASE_DIR

SITE_PACKAGES = re.compile(r"\S*/site-packages/")


STDLIB = sysconfig.get_paths()["stdlib"]


def shorten(text: str) -> str:
    """Paths relative to the project, to site-packages for the libraries, to the standard library's folder."""
    return SITE_PACKAGES.sub("", text.replace(f"{BASE_DIR}/", "").replace(f"{STDLIB}/", ""))


#: Entries by own time (tottime) in the report, beside the ``top`` by cumulative time.
OWN_TIME_TOP = 15
#: Requests timed one after the other without the profiler (nor the SQL capture), for the mean.
TIMED = 200


def table(profiler: cProfile.Profile, sort: str, top: int) -> str:
    """The ``top`` entries by ``sort`` ("cumulative" or "tottime"), in milliseconds (pstats prints
    seconds to three places, which rounds most of one request's entries to 0.000), paths shortened."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    column = 3 if sort == "cumulative" else 2  # (primitive calls, calls, own time, cumulative time, callers)
    entries = sorted(stats.items(), key=lambda item: item[1][column], reverse=True)[:top]
    lines = [f"{'calls':>9} {'own ms':>9} {'cum ms':>9}  function"]
    for (filename, line, name), (primitive, calls, own, cumulative, _) in entries:
        count = str(calls) if calls == primitive else f"{calls}/{primitive}"
        where = f"{filename}:{line}({name})" if line else name
        lines.append(f"{count:>9} {own * 1000:9.3f} {cumulative * 1000:9.3f}  {shorten(where)}")
    return "\n".join(lines)


def profile_request(path: str, user_id: str, top: int, body: str | None = None) -> dict[str, Any]:
    """GET ``path``, or POST ``body`` (JSON) to it: each request the same (a POST places one more order)."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    token = project.access_token(user_id)
    client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https", HTTP_AUTHORIZATION=f"Bearer {token}")

    def send() -> Any:
        if body is None:
            return client.get(path)
        return client.post(path, data=body, content_type="application/json")

    for _ in range(3):  # warm: imports, the connection, the cache entry
        send()
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        profiler.enable()
        response = send()
        profiler.disable()
        elapsed = time.perf_counter() - started
    # Read now: the log is emptied when the next request starts.
    queries = [{"sql": q["sql"], "time": q["time"]} for q in captured.captured_queries]
    started = time.perf_counter()
    for _ in range(TIMED):
        send()
    mean = (time.perf_counter() - started) / TIMED
    stats = pstats.Stats(profiler)
    return {
        "path": path,
        "method": "GET" if body is None else "POST",
        "status": response.status_code,
        "elapsed_ms": elapsed * 1000,
        "timed": TIMED,
        "mean_us": mean * 1e6,
        "function_calls": stats.total_calls,  # type: ignore[attr-defined]
        "top": top,
        "stats": table(profiler, "cumulative", top),
        "top_own": OWN_TIME_TOP,
        "stats_own": table(profiler, "tottime", OWN_TIME_TOP),
        "queries": queries,
    }


def profile_role(path: str, user_id: str, top: int, out: str, body: str | None = None) -> int:
    """The child's entry point; the result goes to a file (stdout carries the request's log lines)."""
    result = profile_request(path, user_id, top, body)
    with open(out, "w") as handle:
        json.dump(result, handle)
    return 0
