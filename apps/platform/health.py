"""Liveness and readiness probes (outside /api/, unauthenticated, never cached).

Liveness touches nothing but the process itself: no database, no cache, no session (no middleware on its
path reads one), so it answers in milliseconds whatever the dependencies do. Readiness checks what this
process's role needs (``readiness``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.platform.readiness import OK, readiness


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """Every dependency this process's role needs answers; 503 names the ones that do not."""
    report = readiness(settings.PROCESS_ROLE)
    return JsonResponse(report, status=200 if report["status"] == OK else 503)
