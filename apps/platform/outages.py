"""A dependency that cannot be reached: which one it is, and one warning now and then instead of one per request.

While PostgreSQL, Redis or the broker is down, every request that needs it fails in the same way. Such a
failure is answered with 503 and ``Retry-After`` (``problems``), never 500, and reported here: one warning
per dependency every ``REPORT_INTERVAL`` seconds in each process, counting the failures it stands for,
instead of an error and a traceback per request.

Nothing remembers the outage: each request tries the dependency again. Django drops a database
connection that failed at the end of its request (``CONN_HEALTH_CHECKS`` checks a kept one before it is
reused), and redis-py and kombu reconnect on their next call, so the first request after the dependency
is back succeeds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django_redis.exceptions import ConnectionInterrupted
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = structlog.get_logger(__name__)

DATABASE = "database"
REDIS = "redis"
BROKER = "broker"

# What a client is told to wait before trying again.
RETRY_AFTER = 5
# Seconds between two warnings about the same dependency in one process.
REPORT_INTERVAL = 5.0

# (errors, dependency); the first match wins. Django's OperationalError covers a refused or lost
# connection, and also a lock or statement timeout: all worth a retry, none the request's fault.
_OUTAGES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DatabaseOperationalError, DatabaseInterfaceError), DATABASE),
    ((RedisConnectionError, RedisTimeoutError, ConnectionInterrupted), REDIS),
    ((BrokerOperationalError,), BROKER),
)

_DESCRIPTIONS = {
    DATABASE: "The database is unavailable",
    REDIS: "The cache (Redis) is unavailable",
    BROKER: "The message broker is unavailable",
}


def dependency_of(error: BaseException) -> str | None:
    """The dependency whose outage ``error`` is, looking through the errors it was raised from; None if none."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for kinds, dependency in _OUTAGES:
            if isinstance(current, kinds):
                if dependency == DATABASE and not _database_unreachable(current):
                    return None
                return dependency
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return None


# PostgreSQL's SQLSTATEs of a server that cannot be reached or takes no more work: class 08 (connection
# exception), admin and crash shutdown, starting up, too many connections. A deadlock, a serialization
# failure, a lock or statement timeout are OperationalErrors too, but of one statement, not an outage.
_POSTGRES_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})
# SQLite's primary result codes of a database file that cannot be used right now: busy, locked, I/O, can't open.
_SQLITE_UNAVAILABLE = frozenset({5, 6, 10, 14})


def _database_unreachable(error: BaseException) -> bool:
    if isinstance(error, DatabaseInterfaceError):  # the connection is closed or unusable
        return True
    driver = error.__cause__
    sqlite_code = getattr(driver, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_UNAVAILABLE
    sqlstate = getattr(driver, "sqlstate", None)
    if sqlstate is None:  # psycopg could not connect, or lost the connection: no statement was answered
        return True
    return sqlstate.startswith("08") or sqlstate in _POSTGRES_UNAVAILABLE


def detail(dependency: str) -> str:
    """One sentence for the client; it names the dependency, never its address or credentials."""
    return f"{_DESCRIPTIONS[dependency]}; try again in a few seconds."


@dataclass
class Reporter:
    """Logs at most one warning per dependency every ``interval`` seconds; counts the ones it holds back."""

    interval: float = REPORT_INTERVAL
    clock: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)
    _held_back: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, dependency: str, error: BaseException | None, **context: object) -> bool:
        """Record one failure; answers whether it was logged."""
        now = self.clock()
        with self._lock:
            last = self._last.get(dependency)
            if last is not None and now - last < self.interval:
                self._held_back[dependency] = self._held_back.get(dependency, 0) + 1
                return False
            self._last[dependency] = now
            held_back = self._held_back.pop(dependency, 0)
        log.warning(
            "dependency unavailable",
            dependency=dependency,
            error=type(error).__name__ if error is not None else None,
            # The driver's message names a host and port at most (never a password); it is for operators.
            reason=" ".join(str(error).split())[:300] if error is not None else None,
            # The failures held back since the previous warning, over how many seconds.
            failures_not_logged=held_back,
            over_seconds=round(now - last, 1) if last is not None else None,
            **context,
        )
        return True


_reporter = Reporter()


def report(dependency: str, error: BaseException | None, **context: object) -> bool:
    """Record one failure of ``dependency`` in this process (a warning at most every few seconds)."""
    return _reporter.report(dependency, error, **context)
