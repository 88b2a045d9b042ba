"""Binds the correlation id to every log line of a request and writes one access-log line; counts and times
each request for Prometheus, labelled by its URL pattern."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse

from apps.observability import correlation, requests, tracing
from apps.observability.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS

access_log = structlog.get_logger("orderflow.access")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        correlation_id = correlation.accept_or_generate(request.headers.get(correlation.HEADER))
        request.correlation_id = correlation_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id, method=request.method, path=request.path)
        tracing.set_attributes({"orderflow.correlation_id": correlation_id})  # on the request's span
        started = time.perf_counter()
        try:
            with requests.serving(request):
                response = self.get_response(request)
            response[correlation.HEADER] = correlation_id
            access_log.info(
                "request finished",
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()


#: The route of a request no URL pattern matched (a 404, or an answer before resolving: a 413, a redirect).
UNMATCHED = "unmatched"
#: Any other method is counted as "other": a client cannot add label values at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


#: A regex group that can match one literal only, as the versioned URL confs' ``(?P<version>v1)``.
_LITERAL_GROUP = re.compile(r"\(\?P<\w+>([\w.-]+)\)")


def route_of(request: HttpRequest) -> str:
    """The URL pattern that served ``request`` (``api/v1/orders/<uuid:order_id>``), never its path."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED
    return readable(match.route)


@functools.lru_cache(maxsize=1024)  # one entry per URL pattern: bounded by the URL conf
def readable(route: str) -> str:
    """A pattern as people write URLs: regex anchors dropped, a group of one literal replaced by it."""
    return _LITERAL_GROUP.sub(r"\1", route).replace("^", "").replace("$", "")


class RequestMetricsMiddleware:
    """``orderflow_http_requests_total`` and ``orderflow_http_request_duration_seconds`` of every request.

    The route is read once the view has answered, when Django has resolved it. The
    labelled children are kept per (method, route, status), a set bounded by the URL
    conf, so a request costs two dict lookups and two updates.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in METHODS else "other"
        key = (method, route_of(request), response.status_code)
        children = self._children.get(key)
        if children is None:
            labels = (key[0], key[1], str(key[2]))
            children = self._children[key] = (HTTP_REQUESTS.labels(*labels), HTTP_REQUEST_DURATION.labels(*labels))
        children[0].inc()
        children[1].observe(elapsed)
        return response
