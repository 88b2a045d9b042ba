"""Orders API, version 1: thin views from HTTP to the buses and back.

Money is a decimal string beside the order's currency (``"total": "12.30",
"currency": "EUR"``). Every view is deprecated in favour of its twin under
/api/v2/ (``DeprecatedInV1`` adds the headers that say so).
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.orders.api.common import (
    COMMON_ERRORS,
    IDEMPOTENCY_KEY,
    ORDER_EXAMPLE,
    OrderFilters,
    OrderOutput,
    PlaceOrderInput,
    cancel,
    one_order,
    one_order_schema,
    orders_page,
    place,
    ship,
)
from apps.platform.idempotency import idempotent
from apps.platform.openapi import CONDITIONAL_PARAMETERS, NOT_MODIFIED, problems
from apps.platform.pagination import POSITIVE_INTEGER, PagePagination
from apps.platform.ratelimit import limit_writes
from apps.platform.versioning import DeprecatedInV1

PAGE_PARAMETERS = [
    OpenApiParameter("page", POSITIVE_INTEGER, OpenApiParameter.QUERY, description="Page number, from 1."),
    OpenApiParameter("page_size", POSITIVE_INTEGER, OpenApiParameter.QUERY, description="20 by default, at most 100."),
]


class OrdersApi(DeprecatedInV1, APIView):
    """The orders the caller may see (own, granted, or all with orders.view_all_orders); placing a new one."""

    pagination_class = PagePagination

    @extend_schema(
        operation_id="orders_list",
        tags=["orders"],
        parameters=[OrderFilters, *PAGE_PARAMETERS, *CONDITIONAL_PARAMETERS],
        responses={200: OrderOutput(many=True), **NOT_MODIFIED, **problems(400, 401, 404, *COMMON_ERRORS)},
        summary="List the orders the caller may see (own, granted, or all with orders.view_all_orders)",
        description="Page-numbered (?page=&page_size=, at most 100). Ordering: created_at, -created_at (default), "
        "total, -total, status; ties broken by id. An unknown status or ordering, or an unparsable date, is 400.",
    )
    def get(self, request: Request, version: str) -> HttpResponseBase:
        return orders_page(self, request, OrderOutput)

    @extend_schema(
        operation_id="orders_place",
        tags=["orders"],
        request=PlaceOrderInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderOutput, **problems(400, 401, 422, *COMMON_ERRORS)},
        summary="Place an order; it awaits payment",
        description="The total is computed from the lines. A unit price with more decimal places than the currency "
        "has, an unknown currency, no lines, too many lines or a SKU twice is 400.",
    )
    @limit_writes
    @idempotent
    def post(self, request: Request, version: str) -> Response:
        return place(request, OrderOutput)


class OrderDetailApi(DeprecatedInV1, APIView):
    """One order, as the read model shows it (lines, invoice status, payment history)."""

    @one_order_schema("retrieve", "orders_retrieve", OrderOutput)
    def get(self, request: Request, version: str, order_id: UUID) -> HttpResponseBase:
        return one_order(request, order_id, OrderOutput)


class CancelOrderApi(DeprecatedInV1, APIView):
    """Cancelling an order that still awaits payment; its invoice is voided by billing."""

    @one_order_schema(
        "cancel",
        "orders_cancel",
        OrderOutput,
        examples=[
            OpenApiExample("With a reason", request_only=True, value={"reason": "Ordered by mistake"}),
            OpenApiExample("Cancelled", response_only=True, value={**ORDER_EXAMPLE, "status": "cancelled"}),
        ],
    )
    @limit_writes
    def post(self, request: Request, version: str, order_id: UUID) -> Response:
        return cancel(request, order_id, OrderOutput)


class ShipOrderApi(DeprecatedInV1, APIView):
    """Shipping a paid order (a role with orders.ship_order)."""

    @one_order_schema(
        "ship",
        "orders_ship",
        OrderOutput,
        description="An order that is not paid (awaiting payment, cancelled, refunded, already shipped) is 409.",
    )
    @limit_writes
    def post(self, request: Request, version: str, order_id: UUID) -> Response:
        return ship(request, order_id, OrderOutput)
