"""The Django request being served, for code far from the view that needs its context (the audit trail)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest

_current: ContextVar[HttpRequest | None] = ContextVar("http_request", default=None)


@contextmanager
def serving(request: HttpRequest) -> Iterator[HttpRequest]:
    token = _current.set(request)
    try:
        yield request
    finally:
        _current.reset(token)


def current() -> HttpRequest | None:
    return _current.get()


def client_ip(request: HttpRequest) -> str | None:
    """The peer's address as the server saw it (``REMOTE_ADDR``); a proxy's header is not trusted here."""
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request: HttpRequest) -> str:
    return str(request.headers.get("User-Agent", ""))
