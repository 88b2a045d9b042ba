"""Readiness: whether each dependency this process's role needs answers now, each within a short timeout.

A process knows its role from ``PROCESS_ROLE`` (``api`` unless told), and a role needs:

- ``api``: the database, and Redis when it is the cache (the rate limits count there). Not a broker: a
  write only adds rows to the outbox, and the dispatcher publishes them.
- ``worker``: the database, the Celery broker (its tasks) and the events broker (``drain_outbox`` publishes).
- ``beat``: the database (the schedule lives there) and the Celery broker (it sends the tasks).
- ``dispatcher``: the database and the events broker.
- ``consumer``: the database and the events broker (it consumes, and dead-letters there).

The checks run side by side, each on a connection of its own with a timeout of ``TIMEOUT`` seconds, and
the answer never waits longer than that (plus a moment): a check still running then counts as failed.
A result is ``"ok"`` or ``"failed: <error type>"``, never an address or a secret.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend
from django_redis import get_redis_connection
from kombu import Connection

from apps.platform import outages

# Seconds each check may take; the whole answer waits at most this long (plus GRACE).
TIMEOUT = 2.0
GRACE = 0.2
OK = "ok"

Check = Callable[[float], None]
"""Raises when the dependency does not answer within the given number of seconds."""


def database(settings_dict: Mapping[str, Any]) -> Check:
    """``SELECT 1`` on a connection of its own to the database ``settings_dict`` describes (a request's
    connection, perhaps broken, is never used here)."""

    def check(timeout: float) -> None:
        probe_settings = copy.deepcopy(dict(settings_dict))
        if "postgresql" in probe_settings["ENGINE"]:
            options = probe_settings.setdefault("OPTIONS", {})
            options["connect_timeout"] = max(2, math.ceil(timeout))  # libpq's smallest
            options["options"] = f"{options.get('options', '')} -c statement_timeout={int(timeout * 1000)}".strip()
        probe = load_backend(probe_settings["ENGINE"]).DatabaseWrapper(probe_settings, DEFAULT_DB_ALIAS)
        try:
            with probe.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        finally:
            probe.close()

    return check


def redis(timeout: float) -> None:
    """PING through the cache's own connection pool (its socket timeouts are ``SOCKET_TIMEOUT``)."""
    get_redis_connection("default").ping()


def broker(url: str, transport_options: Mapping[str, Any]) -> Check:
    def check(timeout: float) -> None:
        with Connection(url, transport_options=dict(transport_options), connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=0)  # one attempt: no retry, no back-off sleep

    return check


def redis_configured() -> bool:
    return "django_redis" in settings.CACHES["default"]["BACKEND"]


def checks_for(role: str) -> dict[str, Check]:
    """The checks of ``role``, by name, in the order they are reported."""
    needs = ROLES[role]
    available: dict[str, Check] = {
        # This thread's connection settings: the checks run in threads of their own.
        "database": database(connections[DEFAULT_DB_ALIAS].settings_dict),
        "redis": redis,
        "celery_broker": broker(settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS),
        "events_broker": broker(settings.EVENTS_BROKER_URL, settings.EVENTS_TRANSPORT_OPTIONS),
    }
    return {name: available[name] for name in needs if name != "redis" or redis_configured()}


ROLES: dict[str, tuple[str, ...]] = {
    "api": ("database", "redis"),
    "worker": ("database", "celery_broker", "events_broker"),
    "beat": ("database", "celery_broker"),
    "dispatcher": ("database", "events_broker"),
    "consumer": ("database", "events_broker"),
}


def run(checks: Mapping[str, Check], *, timeout: float = TIMEOUT) -> dict[str, str]:
    """Run ``checks`` side by side; a result per check, within ``timeout`` seconds (plus ``GRACE``).

    A failing check is reported as an outage of the dependency it names (a warning every few seconds).
    """
    results: dict[str, str] = {}
    lock = threading.Lock()

    def attempt(name: str, check: Check) -> None:
        try:
            check(timeout)
        except Exception as exc:  # any failure means "not ready": its kind goes to the body, the outage is reported
            outages.report(name, exc, check="readiness")
            outcome = f"failed: {type(exc).__name__}"
        else:
            outcome = OK
        with lock:
            results.setdefault(name, outcome)

    # Daemon threads: a check stuck on a frozen server holds up neither the answer nor the process's exit.
    threads = [
        threading.Thread(target=attempt, args=(name, check), name=f"readiness-{name}", daemon=True)
        for name, check in checks.items()
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout + GRACE
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with lock:
        for name in checks:
            if name not in results:  # still running: what comes later is not part of this answer
                results[name] = "failed: timeout"
                outages.report(name, TimeoutError(f"no answer within {timeout} s"), check="readiness")
        return {name: results[name] for name in checks}


def readiness(role: str) -> dict[str, Any]:
    """The readiness report of ``role``: ``status`` ``ok`` or ``unavailable``, the role, and each check's result."""
    results = run(checks_for(role))
    status = OK if all(result == OK for result in results.values()) else "unavailable"
    return {"status": status, "role": role, "checks": results}
