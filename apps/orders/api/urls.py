"""The orders endpoints of each API version; config/urls.py mounts them under /api/v1/ and /api/v2/.

URL names carry their version: ``orders-<version>-<action>``.
"""

from types import ModuleType

from django.urls import URLPattern, path

from apps.orders.api import v1, v2


def _routes(version: str, api: ModuleType) -> list[URLPattern]:
    return [
        path("orders", api.OrdersApi.as_view(), name=f"orders-{version}-list"),
        path("orders/<uuid:order_id>", api.OrderDetailApi.as_view(), name=f"orders-{version}-detail"),
        path("orders/<uuid:order_id>/cancel", api.CancelOrderApi.as_view(), name=f"orders-{version}-cancel"),
        path("orders/<uuid:order_id>/ship", api.ShipOrderApi.as_view(), name=f"orders-{version}-ship"),
    ]


urlpatterns_v1 = _routes("v1", v1)
urlpatterns_v2 = _routes("v2", v2)
