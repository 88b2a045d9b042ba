"""Dependencies that cannot be reached, for real: a closed port, a file that cannot be opened, a silent server.

Nothing is mocked: the drivers (psycopg, sqlite3, redis-py, kombu) fail as they would in production.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend
from django.test import override_settings


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextmanager
def silent_server() -> Iterator[int]:
    """A local port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Inside the block, this thread's default database connection points where no database is.

    PostgreSQL: a closed local port. SQLite: a file in a directory that does not exist. The test's own
    connection (and its transaction) is set aside untouched and comes back when the block ends.
    """
    original = connections[DEFAULT_DB_ALIAS]
    settings_dict = copy.deepcopy(original.settings_dict)
    if original.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent/orderflow-outage/db.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=closed_port())
    unreachable = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = unreachable
    try:
        yield
    finally:
        unreachable.close()
        connections[DEFAULT_DB_ALIAS] = original


def redis_cache(port: int, *, timeout: float = 0.5) -> dict[str, Any]:
    """CACHES with django-redis on a local port."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": timeout, "SOCKET_TIMEOUT": timeout},
        }
    }


@contextmanager
def redis_unreachable() -> Iterator[None]:
    """Inside the block, the cache is django-redis on a closed port."""
    with override_settings(CACHES=redis_cache(closed_port())):
        yield
