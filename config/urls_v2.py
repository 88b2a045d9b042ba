"""API version 2: orders and invoices with money objects and cursor pagination, and webhooks; users stay on v1.

A URL conf of its own, so that the v2 schema (``/api/schema/v2/``) lists exactly these.
"""

from django.urls import include, path, re_path

from apps.billing.api import urls as billing_api
from apps.orders.api import urls as orders_api
from apps.webhooks import urls as webhooks_api

urlpatterns = [
    re_path(
        r"^api/(?P<version>v2)/",
        include(
            [
                *orders_api.urlpatterns_v2,
                *billing_api.urlpatterns_v2,
                path("webhooks/", include(webhooks_api.urlpatterns_v2)),
            ]
        ),
    ),
]
