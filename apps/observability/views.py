"""``GET /metrics``: Prometheus's text format, behind the bearer token ``METRICS_TOKEN``.

The token is compared in constant time. Without a token configured the endpoint
does not exist (404); a missing or wrong one is a 401 with ``WWW-Authenticate:
Bearer``; both are problem details like every other error. It needs no session,
no CSRF token and no JWT, and is left out of the OpenAPI schema: it is not part
of the client API.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST

from apps.observability.exposition import exposition
from apps.platform.problems import not_found, problem, problem_json


def authorized(header: str, token: str) -> bool:
    """Whether ``header`` is ``Bearer <token>``, compared in constant time (``token`` is not empty)."""
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        credentials = ""
    return hmac.compare_digest(credentials.strip().encode(), token.encode())


@csrf_exempt  # a read, authorized by its own header: no session, so no CSRF token either
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        return not_found(request)
    if request.method not in ("GET", "HEAD"):
        detail = f"Method {request.method} is not allowed here; use GET."
        body = problem(405, detail, slug="method-not-allowed", instance=request.path)
        return problem_json(body, {"Allow": "GET, HEAD"})
    header = request.headers.get("Authorization", "")
    if not authorized(header, token):
        missing = not header
        body = problem(
            401,
            "The metrics need a bearer token: send Authorization: Bearer <METRICS_TOKEN>."
            if missing
            else "The bearer token is not the metrics token.",
            slug="not-authenticated" if missing else "authentication-failed",
            instance=request.path,
        )
        return problem_json(body, {"WWW-Authenticate": 'Bearer realm="metrics"'})
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
