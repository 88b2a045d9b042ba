"""orderflow's URL conf as production mounts it, then the benchmark's baselines under ``/bench/``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from config.urls import handler400, handler500
from config.urls import urlpatterns as orderflow_urlpatterns

from .baselines import DrfEmptyView, NaiveOrderViewSet, bare_view

router = SimpleRouter(trailing_slash=False)
router.register("naive/orders", NaiveOrderViewSet, basename="bench-naive-orders")

# After orderflow's own patterns, so that its URLs resolve exactly as in production.
urlpatterns = [
    *orderflow_urlpatterns,
    path("bench/bare", bare_view, name="bench-bare"),
    path("bench/drf-empty", DrfEmptyView.as_view(), name="bench-drf-empty"),
    path("bench/", include(router.urls)),
]

__all__ = ["handler400", "handler500", "urlpatterns"]
