"""One order-detail request under cProfile, in a child process configured as the servers are (same
settings module, database, Redis, READ_CACHE_ENABLED), through Django's test client; and its SQL."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import re
import time
from typing import Any

from . import project
from .environment import BASE_DIR

SITE_PACKAGES = re.compile(r"\S*/site-packages/")


def shorten(text: str) -> str:
    """Paths relative to the project, or to site-packages for the libraries."""
    return SITE_PACKAGES.sub("", text.replace(f"{BASE_DIR}/", ""))


def profile_request(path: str, user_id: str, top: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    token = project.access_token(user_id)
    client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https", HTTP_AUTHORIZATION=f"Bearer {token}")
    for _ in range(3):  # warm: imports, the connection, the cache entry
        client.get(path)
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        profiler.enable()
        response = client.get(path)
        profiler.disable()
        elapsed = time.perf_counter() - started
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(top)
    text = stream.getvalue()
    table = text[text.index("   ncalls") :] if "   ncalls" in text else text
    total_calls = stats.total_calls  # type: ignore[attr-defined]
    return {
        "path": path,
        "status": response.status_code,
        "elapsed_ms": elapsed * 1000,
        "function_calls": total_calls,
        "top": top,
        "stats": shorten(table),
        "queries": [{"sql": q["sql"], "time": q["time"]} for q in captured.captured_queries],
    }


def profile_role(path: str, user_id: str, top: int, out: str) -> int:
    """The child's entry point; the result goes to a file (stdout carries the request's log lines)."""
    result = profile_request(path, user_id, top)
    with open(out, "w") as handle:
        json.dump(result, handle)
    return 0
