"""API version lifecycle: v1 endpoints that have a v2 successor announce their deprecation.

Every response of such an endpoint carries (docs/api/versioning.md states the policy):

* ``Deprecation: @<unix time>`` (RFC 9745): since when the endpoint is deprecated;
* ``Sunset: <HTTP-date>`` (RFC 8594): after when it may stop answering;
* ``Link: <successor>; rel="successor-version"``: the same path under ``/api/v2/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.http import http_date
from drf_spectacular.openapi import AutoSchema
from rest_framework.request import Request
from rest_framework.response import Response

V1_DEPRECATED_AT = datetime(2026, 12, 1, tzinfo=UTC)
V1_SUNSET_AT = datetime(2027, 12, 1, tzinfo=UTC)


def deprecation_headers(path: str) -> dict[str, str]:
    successor = path.replace("/api/v1/", "/api/v2/", 1)
    return {
        "Deprecation": f"@{int(V1_DEPRECATED_AT.timestamp())}",
        "Sunset": http_date(V1_SUNSET_AT.timestamp()),
        "Link": f'<{successor}>; rel="successor-version"',
    }


class DeprecatedSchema(AutoSchema):
    """Marks the view's operations ``deprecated: true`` in the OpenAPI schema."""

    def is_deprecated(self) -> bool:
        return True


class DeprecatedInV1:
    """Mixin for a v1 view whose successor lives at the same path under /api/v2/; errors carry the headers too.

    The one place a view is declared deprecated: the headers come from here, and so does ``deprecated: true``
    on its operations in the schema (no ``extend_schema(deprecated=True)`` beside it).
    """

    schema = DeprecatedSchema()

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        for name, value in deprecation_headers(request.path).items():
            response[name] = value
        return response
