from django.urls import path

from apps.billing.api import v1, v2

urlpatterns_v1 = [
    path("invoices", v1.InvoiceListApi.as_view(), name="invoices-list-v1"),
    path("invoices/<uuid:invoice_id>", v1.InvoiceDetailApi.as_view(), name="invoices-detail-v1"),
    path("invoices/<uuid:invoice_id>/refund", v1.InvoiceRefundApi.as_view(), name="invoices-refund-v1"),
    path("webhooks/payments", v1.PaymentWebhookApi.as_view(), name="webhooks-payments"),
]

urlpatterns_v2 = [
    path("invoices", v2.InvoiceListApi.as_view(), name="invoices-list"),
    path("invoices/<uuid:invoice_id>", v2.InvoiceDetailApi.as_view(), name="invoices-detail"),
    path("invoices/<uuid:invoice_id>/refund", v2.InvoiceRefundApi.as_view(), name="invoices-refund"),
]
