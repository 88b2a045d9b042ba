"""Command-bus middleware that logs every command's name, outcome and duration."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog

from apps.platform import outages
from domain.kernel.result import Err, Result

log = structlog.get_logger("orderflow.commands")


class LoggingMiddleware:
    def __call__(self, message: Any, call_next: Callable[[Any], Result[Any, Exception]]) -> Result[Any, Exception]:
        name = type(message).__name__
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(command=name):
            try:
                result = call_next(message)
            except Exception as exc:
                dependency = outages.dependency_of(exc)
                if dependency is None:
                    log.exception("command failed", duration_ms=_since(started))
                else:  # the caller reports the outage (a request: one warning every few seconds); no traceback here
                    log.info("command failed", dependency_unavailable=dependency, duration_ms=_since(started))
                raise
            if isinstance(result, Err):
                log.info(
                    "command rejected",
                    error=type(result.error).__name__,
                    reason=str(result.error),
                    duration_ms=_since(started),
                )
            else:
                log.info("command handled", duration_ms=_since(started))
            return result


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
