"""The orders endpoints of each API version; config/urls.py mounts them under /api/v1/ and /api/v2/."""

from django.urls import path

from apps.orders.api import v1, v2

urlpatterns_v1 = [
    path("orders", v1.OrdersApi.as_view(), name="orders"),
    path("orders/<uuid:order_id>", v1.OrderDetailApi.as_view(), name="orders-detail"),
    path("orders/<uuid:order_id>/cancel", v1.CancelOrderApi.as_view(), name="orders-cancel"),
    path("orders/<uuid:order_id>/ship", v1.ShipOrderApi.as_view(), name="orders-ship"),
]

urlpatterns_v2 = [
    path("orders", v2.OrdersApi.as_view(), name="orders-v2"),
    path("orders/<uuid:order_id>", v2.OrderDetailApi.as_view(), name="orders-v2-detail"),
    path("orders/<uuid:order_id>/cancel", v2.CancelOrderApi.as_view(), name="orders-v2-cancel"),
    path("orders/<uuid:order_id>/ship", v2.ShipOrderApi.as_view(), name="orders-v2-ship"),
]
