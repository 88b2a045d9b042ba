"""From a bus Result to an HTTP response: 2xx with the output serializer, or problem details.

Reads of one object and pages of a list are rendered once and answered with an
``ETag``: a client that sends it back in ``If-None-Match`` gets ``304 Not Modified``
with no body. A DTO that carries a ``revision`` is rendered once per revision and
output shape (``RENDERS``); a page once per query, caller's scope and generation
of its kind (``apps.platform.listing.PAGES``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils.http import parse_etags
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from apps.platform.caching import CachePolicy, read_cache
from apps.platform.listing import PAGES
from apps.platform.pagination import query_parameters
from apps.platform.problems import problem_for_error
from domain.kernel.result import Err, Result

#: Rendered bodies of one object, keyed by output shape, id and revision: a new revision is a new key.
RENDERS = CachePolicy("renders", ttl=300, shared=False)

Output = type[serializers.BaseSerializer[Any]]


def respond(
    result: Result[Any, Exception],
    request: Request,
    *,
    output: Output | None = None,
    status: int = 200,
) -> Response:
    if isinstance(result, Err):
        return problem_for_error(result.error, request)
    if output is None:
        return Response(status=status)
    return Response(representation(output)(result.value), status=status)


def query_filters(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    """The list filters of the query string; a bad value is a 400 naming the parameter."""
    serializer = serializer_class(data=query_parameters(request))
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def validated(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    """The request body checked by ``serializer_class``; raises DRF's ValidationError (400)."""
    return dict(validation(serializer_class)(request.data))


@cache
def representation(output: Output) -> Callable[[Any], Any]:
    """``output``'s ``to_representation``, on one instance built once per shape.

    DRF copies a serializer's declared fields every time one is instantiated, which
    is most of what rendering one object costs; the bound fields are pure functions
    of the value, so one instance serves every request (and every thread).
    """
    return output().to_representation


@cache
def validation(serializer_class: type[serializers.Serializer[Any]]) -> Callable[[Any], Any]:
    """``serializer_class``'s ``run_validation``, on one instance built once per shape: the validated data
    of a body, or DRF's ``ValidationError`` with the errors ``is_valid`` would have found.

    What ``is_valid`` runs, without copying the declared fields into a new instance for each request
    (as for ``representation``): validating reads the bound fields and keeps nothing of the body, so one
    instance serves every request (and every thread). For a serializer without ``context`` or ``partial``.
    A ``null`` body gets the error ``errors`` gives it, "No data provided", not the field's "may not be null".
    """
    run_validation = serializer_class().run_validation

    def validate(data: Any) -> Any:
        try:
            return run_validation(data)
        except serializers.ValidationError as invalid:
            detail = invalid.detail
            if isinstance(detail, list) and len(detail) == 1 and getattr(detail[0], "code", None) == "null":
                no_data = ErrorDetail("No data provided", code="null")
                raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [no_data]}) from None
            raise

    return validate


@dataclass(frozen=True)
class Rendered:
    """A JSON body and its entity tag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, data: Any) -> Rendered:
        body = JSONRenderer().render(data)
        return cls(body, f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"')


def respond_read(result: Result[Any, Exception], request: Request, *, output: Output) -> HttpResponseBase:
    """200 with one object read (a DTO with ``id`` and ``revision``), 304 when ``If-None-Match`` has its tag."""
    if isinstance(result, Err):
        return problem_for_error(result.error, request)
    dto = result.value
    shape = f"{output.__module__}.{output.__qualname__}"
    rendered = read_cache().get_or_load(
        RENDERS, RENDERS.key(shape, dto.id, dto.revision), lambda: Rendered.of(representation(output)(dto))
    )
    return conditional(request, rendered)


def respond_page(request: Request, rows: QuerySet[Any], page: Callable[[], Response]) -> HttpResponseBase:
    """The page ``page()`` renders from ``rows``, kept under the full URL and the rows' SQL.

    The SQL holds the caller's scope (their id, or the grant subqueries), the
    filters and the order, so two callers who may see different rows never share
    a page; the URL holds the host (the links), the version, the cursor and the size.
    """
    cache = read_cache()
    if not cache.enabled(PAGES):
        return conditional(request, Rendered.of(page().data))
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # a scope that admits nothing: no SQL to run, and nothing to show
        sql, params = "", ()
    fingerprint = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    key = PAGES.key(request.build_absolute_uri(), fingerprint)
    return conditional(request, cache.get_or_load(PAGES, key, lambda: Rendered.of(page().data)))


def conditional(request: Request, rendered: Rendered) -> HttpResponseBase:
    """200 with the body, or 304 when ``If-None-Match`` names its tag (weak comparison, or ``*``).

    Only ``If-None-Match`` is read: the other preconditions (``If-Match``, ``If-Unmodified-Since``)
    are for writes, and a read answers as if they were absent.
    """
    held = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" in held or _weak(rendered.etag) in {_weak(tag) for tag in held}:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        response = HttpResponse(rendered.body, content_type="application/json")
    response["ETag"] = rendered.etag
    # Clients may keep it, and must ask again (If-None-Match) before using it; shared caches may not.
    response["Cache-Control"] = "private, no-cache"
    return response


def _weak(tag: str) -> str:
    return tag.removeprefix("W/")
