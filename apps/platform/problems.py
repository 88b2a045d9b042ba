"""RFC 9457 problem details: the one shape of every error under ``/api/``.

``exception_handler`` is DRF's EXCEPTION_HANDLER; ``problem_for_error`` maps the
domain's ``Err`` values; ``ProblemDetailsMiddleware`` (in ``middleware``) covers
what happens outside DRF views. A dependency that cannot be reached (the database,
Redis: ``outages``) is a 503 with ``Retry-After``, wherever it fails. Other
unexpected exceptions become a bare 500 whose body names the correlation id and
nothing else.
"""

from __future__ import annotations

import sys
from http import HTTPStatus
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions
from rest_framework.response import Response

from apps.observability import correlation
from apps.platform import outages
from apps.platform.signals import request_forbidden
from domain.kernel.errors import (
    AuthenticationError,
    AuthorizationError,
    BusinessRuleViolationError,
    ConflictError,
    DomainError,
    EntityNotFoundError,
    ExternalServiceError,
    InvalidValueError,
    ValidationError,
)

API_PREFIX = "/api/"
CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:orderflow:problem:"
AUTHENTICATE_HEADER = 'Bearer realm="api"'

log = structlog.get_logger(__name__)

# (status, type slug) per error kind; the first match in this order wins.
_DOMAIN_ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (ValidationError, 400, "validation-error"),
    (InvalidValueError, 400, "validation-error"),
    (AuthenticationError, 401, "authentication-failed"),
    (AuthorizationError, 403, "permission-denied"),
    (EntityNotFoundError, 404, "not-found"),
    (ConflictError, 409, "conflict"),
    (BusinessRuleViolationError, 409, "business-rule-violation"),
    (ExternalServiceError, 502, "upstream-unavailable"),
    (DomainError, 422, "unprocessable"),
)


class ServiceUnavailable(exceptions.APIException):
    """503: something the request needs cannot be reached right now; ``wait`` becomes ``Retry-After``."""

    status_code = 503
    default_detail = "The service is unavailable; try again in a few seconds."
    default_code = "service_unavailable"
    wait = outages.RETRY_AFTER


_DRF_TYPES = {
    exceptions.ParseError: "malformed-request",
    exceptions.ValidationError: "validation-error",
    exceptions.AuthenticationFailed: "authentication-failed",
    exceptions.NotAuthenticated: "not-authenticated",
    exceptions.PermissionDenied: "permission-denied",
    exceptions.NotFound: "not-found",
    exceptions.MethodNotAllowed: "method-not-allowed",
    exceptions.NotAcceptable: "not-acceptable",
    exceptions.UnsupportedMediaType: "unsupported-media-type",
    exceptions.Throttled: "rate-limited",
    ServiceUnavailable: "service-unavailable",
}

# For paths outside /api/ (the admin): a page, as short as Django's own error pages.
UNAVAILABLE_PAGE = (
    '<!doctype html>\n<html lang="en"><head><title>Service Unavailable</title></head>'
    "<body><h1>Service Unavailable (503)</h1><p>{detail}</p></body></html>\n"
)


def problem(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    instance: str = "",
    errors: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{slug}" if slug else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    correlation_id = correlation.current()
    if correlation_id:
        body["correlation_id"] = correlation_id
    return body


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=body["status"], headers=headers, content_type=CONTENT_TYPE)


def problem_json(body: dict[str, Any], headers: dict[str, str] | None = None) -> JsonResponse:
    """The same body for plain Django views and middleware (no DRF content negotiation)."""
    response = JsonResponse(body, status=body["status"], content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def problem_for_error(error: Exception, request: HttpRequest) -> Response:
    """Render a handler's ``Err`` value."""
    for kind, status, slug in _DOMAIN_ERRORS:
        if isinstance(error, kind):
            errors = None
            if isinstance(error, ValidationError):
                errors = error.errors
            elif isinstance(error, InvalidValueError):
                errors = {error.field: [error.message]}
            body = problem(status, str(error), slug=slug, instance=request.path, errors=errors)
            # RFC 9110 section 15.5.2: a 401 names the scheme that would work, as simplejwt's own 401s do.
            headers = {"WWW-Authenticate": AUTHENTICATE_HEADER} if status == 401 else None
            return problem_response(body, headers)
    raise TypeError(f"{type(error).__name__} is not an error a handler may return") from error


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context["request"]
    if isinstance(exc, Ratelimited):
        exc = exceptions.Throttled(detail="Too many requests; slow down and try again later.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif not isinstance(exc, exceptions.APIException) and (dependency := outages.dependency_of(exc)) is not None:
        outages.report(dependency, exc)
        exc = ServiceUnavailable(outages.detail(dependency))

    if not isinstance(exc, exceptions.APIException):
        log.exception("unhandled error in API view", error=type(exc).__name__)
        return problem_response(problem(500, "The server failed to handle this request.", instance=request.path))
    if isinstance(exc, exceptions.PermissionDenied):
        request_forbidden.send(sender=exception_handler, request=request)

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]

    slug = next((slug for kind, slug in _DRF_TYPES.items() if isinstance(exc, kind)), None)
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = problem(400, "The request is not valid.", slug=slug, instance=request.path, errors=errors)
    else:
        body = problem(exc.status_code, _text(exc.detail), slug=slug, instance=request.path)
    return problem_response(body, headers)


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's RATELIMIT_VIEW, for plain Django views; ``Retry-After`` when the limit says when."""
    body = problem(429, "Too many requests; slow down and try again later.", slug="rate-limited", instance=request.path)
    retry_after = getattr(exception, "retry_after", None)
    return problem_json(body, {"Retry-After": str(retry_after)} if retry_after else None)


@csrf_exempt  # it changes nothing: a POST to an unknown URL is a 404, not a CSRF failure
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Unknown URLs under /api/."""
    body = problem(404, "There is no resource at this URL.", slug="not-found", instance=request.path)
    return problem_json(body)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a problem under /api/ (the API's own views are exempt; a browser session's form
    post to an API URL is not), Django's page elsewhere (the admin)."""
    if not request.path.startswith(API_PREFIX):
        return csrf.csrf_failure(request, reason=reason)
    body = problem(403, "The request failed the CSRF check.", slug="csrf-failed", instance=request.path)
    return problem_json(body)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: errors raised before any view (a disallowed Host header, say)."""
    if not request.path.startswith(API_PREFIX):
        return defaults.bad_request(request, exception)
    return problem_json(problem(400, "The request is not valid.", slug="malformed-request", instance=request.path))


def unavailable(request: HttpRequest, dependency: str) -> HttpResponse:
    """503 for a dependency that cannot be reached: a problem under /api/, a short page elsewhere (the admin)."""
    headers = {"Retry-After": str(outages.RETRY_AFTER)}
    detail = outages.detail(dependency)
    if request.path.startswith(API_PREFIX):
        return problem_json(problem(503, detail, slug="service-unavailable", instance=request.path), headers)
    return HttpResponse(UNAVAILABLE_PAGE.format(detail=detail), status=503, headers=headers)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: exceptions raised outside views (in a middleware, say); 503 for an unavailable dependency."""
    error = sys.exc_info()[1]  # Django calls handler500 while it handles the exception
    dependency = outages.dependency_of(error) if error is not None else None
    if dependency is not None:
        outages.report(dependency, error)
        return unavailable(request, dependency)
    if not request.path.startswith(API_PREFIX):
        return defaults.server_error(request)
    return problem_json(problem(500, "The server failed to handle this request.", instance=request.path))


def _text(detail: Any) -> str:
    if isinstance(detail, list):
        return " ".join(str(item) for item in detail)
    if isinstance(detail, dict) and "detail" in detail:
        # simplejwt's token errors: {"detail": ..., "code": ..., "messages": [...]}; the rest is for machines.
        return str(detail["detail"])
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_text(value)}" for key, value in detail.items())
    return str(detail)
