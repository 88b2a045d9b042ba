"""The real URL conf plus one plain Django view under /api/ that fails, to reach the middleware's 500."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler500
from config.urls import urlpatterns as service_urlpatterns

__all__ = ["handler400", "handler500", "urlpatterns"]


def explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("plain view failed")


urlpatterns = [path("api/explode", explode), *service_urlpatterns]
