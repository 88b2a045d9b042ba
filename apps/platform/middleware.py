"""Problem details for what never reaches a DRF view: oversized bodies, unavailable dependencies, unexpected errors."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.platform import outages
from apps.platform.problems import API_PREFIX, problem, problem_json, unavailable

log = structlog.get_logger(__name__)


class ProblemDetailsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            too_large = self._too_large(request)
            if too_large is not None:
                return too_large
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        dependency = outages.dependency_of(exception)
        if dependency is not None:  # under /api/ and elsewhere (the admin): 503, not a 500 and a traceback
            outages.report(dependency, exception)
            return unavailable(request, dependency)
        if not request.path.startswith(API_PREFIX):
            return None
        log.exception("unhandled error", error=type(exception).__name__)
        return problem_json(problem(500, "The server failed to handle this request.", instance=request.path))

    def _too_large(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            body = problem(
                400, "The Content-Length header is not a number.", slug="malformed-request", instance=request.path
            )
            return problem_json(body)
        if limit is not None and length > limit:
            body = problem(
                413,
                f"The request body is {length} bytes; at most {limit} are accepted.",
                slug="payload-too-large",
                instance=request.path,
            )
            return problem_json(body)
        return None
