"""The correlation id: taken from ``X-Request-ID`` when it is safe, made up otherwise."""

from __future__ import annotations

import re
import uuid

import structlog

HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{1,128}")


def accept_or_generate(candidate: str | None) -> str:
    """``candidate`` if it is 1-128 characters of ``[A-Za-z0-9._-]``, else a fresh id."""
    if candidate and _ACCEPTABLE.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def current() -> str | None:
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return str(value) if value is not None else None
