"""Billing API, version 2: money as an object, ``{"amount": "12.30", "currency": "EUR"}``,
and lists paged with opaque cursors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing.api import common
from apps.platform.openapi import CONDITIONAL_PARAMETERS, NOT_MODIFIED, problems
from apps.platform.pagination import POSITIVE_INTEGER, OpaqueCursorPagination
from apps.platform.ratelimit import limit_writes
from apps.platform.serializers import MoneyOutput

CURSOR_PARAMETERS = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, OpenApiParameter.QUERY, description="Taken from a page's next/previous link."
    ),
    OpenApiParameter("page_size", POSITIVE_INTEGER, OpenApiParameter.QUERY, description="Up to 100; default 20."),
]


def _money_object(item: dict[str, Any]) -> dict[str, Any]:
    """v1's ``"amount": "42.50", "currency": "EUR"`` as v2 writes it: ``"amount": {"amount": "42.50", ...}``."""
    shaped = {key: value for key, value in item.items() if key != "currency"}
    shaped["amount"] = {"amount": item["amount"], "currency": item["currency"]}
    return shaped


INVOICE_EXAMPLE_V2 = {
    **_money_object(common.INVOICE_EXAMPLE),
    "payments": [_money_object(payment) for payment in common.INVOICE_EXAMPLE["payments"]],
}


class PaymentOutputV2(serializers.Serializer):
    id = serializers.UUIDField()
    provider_payment_id = serializers.CharField()
    amount = MoneyOutput(source="*")
    status = serializers.ChoiceField(choices=("captured", "failed", "rejected"))
    reason = serializers.CharField(help_text="Why a payment failed or was rejected; empty when captured.")
    at = serializers.DateTimeField()


class InvoiceOutputV2(serializers.Serializer):
    id = serializers.UUIDField()
    order_id = serializers.UUIDField()
    customer_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=("open", "paid", "void", "refunded"))
    amount = MoneyOutput(source="*")
    payments = PaymentOutputV2(many=True)
    issued_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    voided_at = serializers.DateTimeField(allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)


InvoicePageV2 = common.page_of(InvoiceOutputV2, "InvoicePageV2", counted=False)


class InvoiceListApi(APIView):
    """The caller's invoices, newest first unless asked otherwise."""

    pagination_class = OpaqueCursorPagination

    @extend_schema(
        operation_id="invoices_list",
        tags=["invoices"],
        parameters=[common.InvoiceFilters, *CURSOR_PARAMETERS, *CONDITIONAL_PARAMETERS],
        responses={200: InvoicePageV2, **NOT_MODIFIED, **problems(400, 401, 404, *common.COMMON_ERRORS)},
        summary="The invoices the caller may see, a page at a time (own, granted, or all with view_all_invoices)",
        examples=[
            OpenApiExample(
                "A page", value={"next": None, "previous": None, "results": [INVOICE_EXAMPLE_V2]}, response_only=True
            )
        ],
    )
    def get(self, request: Request, version: str) -> HttpResponseBase:
        return common.list_response(self, request, self.pagination_class(), InvoiceOutputV2)


class InvoiceDetailApi(APIView):
    """One invoice with its payments."""

    @common.detail_schema("invoices_retrieve", InvoiceOutputV2, INVOICE_EXAMPLE_V2)
    def get(self, request: Request, version: str, invoice_id: UUID) -> HttpResponseBase:
        return common.one_invoice(request, invoice_id, InvoiceOutputV2)


class InvoiceRefundApi(APIView):
    """A refund of a paid invoice, for a role with billing.refund_invoice."""

    @common.refund_schema("invoices_refund", InvoiceOutputV2, INVOICE_EXAMPLE_V2)
    @limit_writes
    def post(self, request: Request, version: str, invoice_id: UUID) -> Response:
        return common.refund(request, invoice_id, InvoiceOutputV2)
