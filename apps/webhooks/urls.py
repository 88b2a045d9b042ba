"""The webhooks endpoints of API v2; config/urls_v2.py mounts them under /api/v2/webhooks/.

URL names carry their version: ``webhook-endpoints-v2-<action>``, ``webhook-deliveries-v2-<action>``.
A delivery is named by its id or by its webhook-id (``msg_...``), whichever the caller holds.
"""

from django.urls import path, register_converter

from apps.webhooks import api

register_converter(api.DeliveryReferenceConverter, "delivery")

urlpatterns_v2 = [
    path("endpoints", api.EndpointsApi.as_view(), name="webhook-endpoints-v2-list"),
    path("endpoints/<uuid:endpoint_id>", api.EndpointDetailApi.as_view(), name="webhook-endpoints-v2-detail"),
    path(
        "endpoints/<uuid:endpoint_id>/rotate-secret",
        api.RotateSecretApi.as_view(),
        name="webhook-endpoints-v2-rotate-secret",
    ),
    path("endpoints/<uuid:endpoint_id>/disable", api.DisableEndpointApi.as_view(), name="webhook-endpoints-v2-disable"),
    path("endpoints/<uuid:endpoint_id>/enable", api.EnableEndpointApi.as_view(), name="webhook-endpoints-v2-enable"),
    path(
        "endpoints/<uuid:endpoint_id>/redeliver", api.RedeliverSinceApi.as_view(), name="webhook-endpoints-v2-redeliver"
    ),
    path("deliveries", api.DeliveriesApi.as_view(), name="webhook-deliveries-v2-list"),
    path("deliveries/<delivery:delivery_id>", api.DeliveryDetailApi.as_view(), name="webhook-deliveries-v2-detail"),
    path(
        "deliveries/<delivery:delivery_id>/redeliver",
        api.RedeliverDeliveryApi.as_view(),
        name="webhook-deliveries-v2-redeliver",
    ),
]
