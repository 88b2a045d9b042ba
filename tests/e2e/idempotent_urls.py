"""The real URL conf plus one idempotent endpoint whose behaviour each test steers."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.idempotency import idempotent
from config.urls import handler400, handler500
from config.urls import urlpatterns as service_urlpatterns

__all__ = ["Counter", "handler400", "handler500", "urlpatterns"]


class Counter:
    """How often the view ran, and what it does next: answer ``status`` or raise ``error``."""

    calls = 0
    status = 201
    error: Exception | None = None


class CreateThing(APIView):
    @idempotent
    def post(self, request: Request) -> Response:
        Counter.calls += 1
        if Counter.error is not None:
            raise Counter.error
        body: dict[str, Any] = {"number": Counter.calls, "echo": request.data}
        return Response(body, status=Counter.status, headers={"Location": f"/api/things/{Counter.calls}"})


urlpatterns = [
    path("api/things", CreateThing.as_view()),
    path("api/other-things", CreateThing.as_view()),  # the same view elsewhere: a key is bound to its path
    *service_urlpatterns,
]
