"""Binds the correlation id to every log line of a request and writes one access-log line."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

from apps.observability import correlation, requests, tracing

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
