"""The billing endpoints of each API version; config/urls.py mounts them under /api/v1/ and /api/v2/.

URL names carry their version: ``invoices-<version>-<action>``, ``webhooks-v1-payments``.
"""

from types import ModuleType

from django.urls import URLPattern, path

from apps.billing.api import v1, v2


def _routes(version: str, api: ModuleType) -> list[URLPattern]:
    return [
        path("invoices", api.InvoiceListApi.as_view(), name=f"invoices-{version}-list"),
        path("invoices/<uuid:invoice_id>", api.InvoiceDetailApi.as_view(), name=f"invoices-{version}-detail"),
        path("invoices/<uuid:invoice_id>/refund", api.InvoiceRefundApi.as_view(), name=f"invoices-{version}-refund"),
    ]


urlpatterns_v1 = [
    *_routes("v1", v1),
    # The payment provider's one URL: no v2 successor.
    path("webhooks/payments", v1.PaymentWebhookApi.as_view(), name="webhooks-v1-payments"),
]
urlpatterns_v2 = _routes("v2", v2)
