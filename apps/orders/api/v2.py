"""Orders API, version 2: money as ``{"amount": "12.30", "currency": "EUR"}`` objects, cursor pagination.

The same commands and queries as v1; only the shapes differ.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.orders.api import common
from apps.platform.idempotency import idempotent
from apps.platform.openapi import CONDITIONAL_PARAMETERS, NOT_MODIFIED, problems
from apps.platform.pagination import POSITIVE_INTEGER, OpaqueCursorPagination
from apps.platform.ratelimit import limit_writes
from apps.platform.serializers import MoneyOutput

CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY, description="From a `next`/`previous` link."),
    OpenApiParameter("page_size", POSITIVE_INTEGER, OpenApiParameter.QUERY, description="20 by default, at most 100."),
]


@extend_schema_serializer(component_name="OrderLineV2")
class OrderLineOutputV2(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = MoneyOutput()
    line_total = MoneyOutput()


@extend_schema_serializer(component_name="OrderPaymentV2")
class PaymentOutputV2(serializers.Serializer):
    payment_id = serializers.CharField()
    provider_payment_id = serializers.CharField()
    amount = MoneyOutput()
    status = serializers.CharField(help_text="captured, failed or rejected.")
    reason = serializers.CharField()
    at = serializers.DateTimeField()


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


ORDER_EXAMPLE_V2 = {
    **common.ORDER_EXAMPLE,
    "total": _money("26.10"),
    "lines": [
        {"sku": "BOOK-123", "quantity": 2, "unit_price": _money("12.30"), "line_total": _money("24.60")},
        {"sku": "PEN.BLUE", "quantity": 1, "unit_price": _money("1.50"), "line_total": _money("1.50")},
    ],
}


@extend_schema_serializer(
    component_name="OrderV2",
    examples=[OpenApiExample("An order awaiting payment", response_only=True, value=ORDER_EXAMPLE_V2)],
)
class OrderOutputV2(common.OrderOutput):
    """An order as its customer sees it; every amount is an {amount, currency} object."""

    total = MoneyOutput(help_text="The sum of the line totals.")
    lines = OrderLineOutputV2(many=True)
    payments = PaymentOutputV2(many=True)


class OrdersApi(APIView):
    """The orders the caller may see, newest first; placing a new one."""

    pagination_class = OpaqueCursorPagination

    @extend_schema(
        operation_id="orders_v2_list",
        tags=["orders"],
        parameters=[common.OrderFilters, *CURSOR_PARAMETERS, *CONDITIONAL_PARAMETERS],
        responses={200: OrderOutputV2(many=True), **NOT_MODIFIED, **problems(400, 401, 404, *common.COMMON_ERRORS)},
        summary="List the orders the caller may see (own, granted, or all with orders.view_all_orders), newest first",
        description=(
            "Cursor-paginated (follow `next` / `previous`); filters status, created_from, created_to; "
            "ordering created_at, -created_at (default), total, -total, status, ties broken by id."
        ),
    )
    def get(self, request: Request, version: str) -> HttpResponseBase:
        return common.orders_page(self, request, OrderOutputV2)

    @extend_schema(
        operation_id="orders_v2_place",
        tags=["orders"],
        request=common.PlaceOrderInput,
        parameters=[common.IDEMPOTENCY_KEY],
        responses={201: OrderOutputV2, **problems(400, 401, 422, *common.COMMON_ERRORS)},
        summary="Place an order; it awaits payment",
    )
    @limit_writes
    @idempotent
    def post(self, request: Request, version: str) -> Response:
        return common.place(request, OrderOutputV2)


class OrderDetailApi(APIView):
    """One order, as the read model shows it (lines, invoice status, payment history)."""

    @common.one_order_schema("retrieve", "orders_v2_retrieve", OrderOutputV2)
    def get(self, request: Request, version: str, order_id: UUID) -> HttpResponseBase:
        return common.one_order(request, order_id, OrderOutputV2)


class CancelOrderApi(APIView):
    """Cancelling an order that still awaits payment; its invoice is voided by billing."""

    @common.one_order_schema(
        "cancel",
        "orders_v2_cancel",
        OrderOutputV2,
        examples=[OpenApiExample("With a reason", request_only=True, value={"reason": "Ordered by mistake"})],
    )
    @limit_writes
    def post(self, request: Request, version: str, order_id: UUID) -> Response:
        return common.cancel(request, order_id, OrderOutputV2)


class ShipOrderApi(APIView):
    """Shipping a paid order (a role with orders.ship_order)."""

    @common.one_order_schema("ship", "orders_v2_ship", OrderOutputV2)
    @limit_writes
    def post(self, request: Request, version: str, order_id: UUID) -> Response:
        return common.ship(request, order_id, OrderOutputV2)
