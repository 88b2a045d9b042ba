"""API version 1: every context's v1 endpoints (orders and invoices are deprecated here: see docs/api/versioning.md).

A URL conf of its own, so that the v1 schema (``/api/schema/``) lists exactly these.
"""

from django.urls import include, re_path

from apps.audit import urls as audit_api
from apps.billing.api import urls as billing_api
from apps.orders.api import urls as orders_api
from apps.users.api import urls as users_api

urlpatterns = [
    re_path(
        r"^api/(?P<version>v1)/",
        include(
            [*users_api.urlpatterns, *orders_api.urlpatterns_v1, *billing_api.urlpatterns_v1, *audit_api.urlpatterns_v1]
        ),
    ),
]
