"""Bus middleware that counts and times every command and query for Prometheus.

Outermost on both buses, so the time is the whole dispatch (authorization, the
unit of work, the cache) and every outcome is seen: ``ok`` for an ``Ok``,
``rejected`` for an ``Err`` (refused, invalid, a business rule), ``error`` for
an exception, which goes on to the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from apps.observability.metrics import BUS_DISPATCH, BUS_DISPATCH_DURATION
from domain.kernel.result import Err, Result

OUTCOMES = ("ok", "rejected", "error")


class BusMetricsMiddleware:
    def __init__(self, bus: str) -> None:
        self.bus = bus
        # Per message type: its duration child and its three outcome children, made once.
        self._children: dict[type, tuple[Any, dict[str, Any]]] = {}

    def __call__(self, message: Any, call_next: Callable[[Any], Result[Any, Exception]]) -> Result[Any, Exception]:
        duration, outcomes = self._children.get(type(message)) or self._labelled(type(message))
        started = time.perf_counter()
        try:
            result = call_next(message)
        except BaseException:
            outcomes["error"].inc()
            duration.observe(time.perf_counter() - started)
            raise
        duration.observe(time.perf_counter() - started)
        outcomes["rejected" if isinstance(result, Err) else "ok"].inc()
        return result

    def _labelled(self, message_type: type) -> tuple[Any, dict[str, Any]]:
        name = message_type.__name__
        children = (
            BUS_DISPATCH_DURATION.labels(self.bus, name),
            {outcome: BUS_DISPATCH.labels(self.bus, name, outcome) for outcome in OUTCOMES},
        )
        self._children[message_type] = children
        return children
