"""Liveness and readiness probes (outside /api/, unauthenticated, never cached)."""

from __future__ import annotations

import structlog
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = structlog.get_logger(__name__)


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """Every dependency needed to serve traffic answers; 503 names the ones that do not."""
    checks = {"database": _database()}
    failing = {name: result for name, result in checks.items() if result != "ok"}
    if failing:
        log.warning("readiness check failed", failing=failing)
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready"; the reason goes to the body and the log
        return f"failed: {type(exc).__name__}"
    return "ok"
