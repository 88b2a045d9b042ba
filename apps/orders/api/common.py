"""Orders API: what both versions share (request shapes, filters, the order output, examples and the flows).

``OrderOutput`` writes money as decimal strings beside the order's currency (v1); v2 derives its
output from it, overriding only the money fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.validators import RegexValidator
from django.http import HttpResponseBase
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.orders.queries import (
    DEFAULT_ORDERING,
    ORDERINGS,
    STATUSES,
    GetOrder,
    ListOrders,
    order_dto,
    order_dto_from_row,
)
from apps.platform.buses import command_bus, query_bus
from apps.platform.idempotency import HEADER as IDEMPOTENCY_HEADER
from apps.platform.idempotency import MAX_KEY_LENGTH as IDEMPOTENCY_KEY_LENGTH
from apps.platform.openapi import CONDITIONAL_PARAMETERS, NOT_MODIFIED, problems
from apps.platform.responses import (
    query_filters,
    representation,
    respond,
    respond_page,
    respond_read,
    validated,
    validation,
)
from apps.platform.serializers import StrictCharField, StrictIntegerField
from domain.kernel.messages import Command
from domain.kernel.money import CURRENCIES
from domain.kernel.result import Err, Ok, Result
from domain.orders.commands import CancelOrder, OrderItem, PlaceOrder, ShipOrder
from domain.orders.model import Quantity, Sku

COMMON_ERRORS = (406, 413, 415, 429, 500)
ORDER_ID = "3f2b8c1e-6d4a-4e8b-9a51-0c7d2e9f4b10"
CUSTOMER_ID = "9b1d2c3e-4f5a-4b6c-8d7e-1f2a3b4c5d6e"

IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    # What ``idempotent`` takes: 1 to 255 printable ASCII characters.
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_LENGTH, "pattern": "^[ -~]+$"},
    OpenApiParameter.HEADER,
    description=(
        "Optional. A retry with the same key and body gets the first response again (Idempotent-Replayed: true); "
        "the same key with another body is 422; a retry sent while the first request runs waits for its answer."
    ),
)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "decimal", "example": "12.30"},
            {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        ]
    }
)
class DecimalAmountField(serializers.Field):
    """A decimal amount sent as a string (``"12.30"``) or a JSON number; never rounded here.

    Whether the amount fits the currency (sign, decimal places) is the domain's
    decision, so the error names the rule rather than the shape.
    """

    default_error_messages = {"invalid": 'Enter a decimal number, such as "12.30".'}

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        try:
            amount = Decimal(str(data).strip())
        except InvalidOperation:
            self.fail("invalid")
        if not amount.is_finite():
            self.fail("invalid")
        return amount

    def to_representation(self, value: Any) -> str:
        return str(value)


@extend_schema_serializer(component_name="OrderItemInput")
class OrderItemInput(serializers.Serializer):
    sku = StrictCharField(
        max_length=Sku.MAX_LENGTH,
        trim_whitespace=False,
        validators=[
            RegexValidator(r"^[A-Za-z0-9._-]+$", message="A SKU may contain only letters, digits, '.', '_' and '-'.")
        ],
        help_text="1-64 of A-Z a-z 0-9 . _ - (upper-cased).",
    )
    quantity = StrictIntegerField(
        min_value=1,
        max_value=Quantity.MAX,
        error_messages={
            "min_value": f"A quantity must be between 1 and {Quantity.MAX}.",
            "max_value": f"A quantity must be between 1 and {Quantity.MAX}.",
        },
        help_text=f"1 to {Quantity.MAX}.",
    )
    unit_price = DecimalAmountField(help_text="A decimal string (or number) > 0, at most the currency's decimals.")


@extend_schema_serializer(
    component_name="PlaceOrderInput",
    examples=[
        OpenApiExample(
            "Two lines in euros",
            request_only=True,
            value={
                "currency": "EUR",
                "items": [
                    {"sku": "BOOK-123", "quantity": 2, "unit_price": "12.30"},
                    {"sku": "PEN.BLUE", "quantity": 1, "unit_price": "1.50"},
                ],
            },
        )
    ],
)
class PlaceOrderInput(serializers.Serializer):
    currency = serializers.ChoiceField(
        choices=sorted(CURRENCIES), help_text="An upper-case ISO 4217 code, such as EUR."
    )
    items = serializers.ListField(
        child=OrderItemInput(),
        allow_empty=False,
        min_length=1,
        max_length=settings.ORDER_MAX_LINES,
        error_messages={
            "empty": "An order needs at least one line.",
            "max_length": "An order has at most {max_length} lines.",
        },
        help_text="At least one line, at most ORDER_MAX_LINES (50 by default); one per SKU.",
    )


@extend_schema_serializer(component_name="CancelOrderInput")
class CancelOrderInput(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class OrderFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES, required=False, help_text="Only orders in this status.")
    created_from = serializers.DateTimeField(
        required=False, help_text="Only orders placed at or after this ISO 8601 date or date-time (UTC if naive)."
    )
    created_to = serializers.DateTimeField(
        required=False, help_text="Only orders placed at or before this ISO 8601 date or date-time (UTC if naive)."
    )
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS), required=False, default=DEFAULT_ORDERING, help_text="Sort order; ties by id."
    )


@extend_schema_serializer(component_name="OrderLine")
class OrderLineOutput(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.CharField(source="unit_price.amount", help_text="Decimal string in the order currency.")
    line_total = serializers.CharField(source="line_total.amount", help_text="quantity x unit_price.")


@extend_schema_serializer(component_name="OrderPayment")
class PaymentOutput(serializers.Serializer):
    payment_id = serializers.CharField()
    provider_payment_id = serializers.CharField()
    amount = serializers.CharField(source="amount.amount")
    currency = serializers.CharField(source="amount.currency")
    status = serializers.CharField(help_text="captured, failed or rejected.")
    reason = serializers.CharField()
    at = serializers.DateTimeField()


ORDER_EXAMPLE = {
    "id": ORDER_ID,
    "customer_id": CUSTOMER_ID,
    "customer_email": "ada@example.com",
    "status": "pending_payment",
    "currency": "EUR",
    "total": "26.10",
    "item_count": 3,
    "lines": [
        {"sku": "BOOK-123", "quantity": 2, "unit_price": "12.30", "line_total": "24.60"},
        {"sku": "PEN.BLUE", "quantity": 1, "unit_price": "1.50", "line_total": "1.50"},
    ],
    "invoice_id": None,
    "invoice_status": "",
    "payments": [],
    "placed_at": "2026-11-29T10:00:00Z",
    "paid_at": None,
    "shipped_at": None,
    "cancelled_at": None,
    "refunded_at": None,
    "created_at": "2026-11-29T10:00:00Z",
}


@extend_schema_serializer(
    component_name="Order",
    examples=[OpenApiExample("An order awaiting payment", response_only=True, value=ORDER_EXAMPLE)],
)
class OrderOutput(serializers.Serializer):
    id = serializers.UUIDField()
    customer_id = serializers.UUIDField()
    customer_email = serializers.EmailField()
    status = serializers.ChoiceField(choices=STATUSES)
    currency = serializers.CharField()
    total = serializers.CharField(source="total.amount", help_text="The sum of the line totals, a decimal string.")
    item_count = serializers.IntegerField(help_text="The number of items (the sum of the quantities).")
    lines = OrderLineOutput(many=True)
    invoice_id = serializers.UUIDField(allow_null=True)
    invoice_status = serializers.CharField(help_text="'' (none yet), open, paid, void or refunded.")
    payments = PaymentOutput(many=True)
    placed_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    shipped_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def place_order_command(request: Request) -> PlaceOrder:
    """The PlaceOrder the body asks for; a shape error is a 400 naming ``items[i].<field>``."""
    try:
        data = validation(PlaceOrderInput)(request.data)
    except serializers.ValidationError as invalid:
        raise serializers.ValidationError(_flat(invalid.detail)) from None
    return PlaceOrder(
        customer_id=request.user.id,
        customer_email=request.user.email,
        currency=data["currency"],
        items=tuple(OrderItem(**item) for item in data["items"]),
    )


def list_response(
    view: APIView,
    request: Request,
    result: Result[Any, Exception],
    output: type[serializers.Serializer[Any]],
    *,
    ordering: str = DEFAULT_ORDERING,
) -> HttpResponseBase:
    """One page of the ``ListOrders`` queryset, in the shape of the view's paginator."""
    if isinstance(result, Err):
        return respond(result, request)
    paginator: BasePagination = view.pagination_class()  # type: ignore[attr-defined]
    if hasattr(paginator, "ordering"):  # a cursor paginator orders the page itself: by the same columns
        paginator.ordering = ORDERINGS[ordering]

    def page() -> Response:
        rows = paginator.paginate_queryset(result.value, request, view=view)
        render = representation(output)
        return paginator.get_paginated_response([render(order_dto_from_row(row)) for row in rows or ()])

    return respond_page(request, result.value, page)


def created(result: Result[Any, Exception], request: Request, output: type[serializers.Serializer[Any]]) -> Response:
    """201 with the order just placed and its Location, or the problem."""
    if isinstance(result, Err):
        return respond(result, request)
    dto = order_dto(result.value)
    return Response(
        representation(output)(dto), status=201, headers={"Location": f"{request.path.rstrip('/')}/{dto.id}"}
    )


def as_dto(result: Any) -> Any:
    return Ok(order_dto(result.value)) if isinstance(result, Ok) else result


Output = type[serializers.Serializer[Any]]


# How the one-order endpoints are described, the same in every version but for their output.


#: What the three one-order endpoints answer besides 200, and how they are summed up.
ONE_ORDER: dict[str, dict[str, Any]] = {
    "retrieve": {"errors": (401, 404), "conditional": True, "summary": "One order (another customer's order is 404)"},
    "cancel": {
        "errors": (400, 401, 404, 409),
        "request": CancelOrderInput,
        "summary": "Cancel an order awaiting payment (its customer, or with orders.cancel_any_order)",
        "description": "An order that is paid, shipped, refunded or already cancelled is 409.",
    },
    "ship": {"errors": (401, 403, 404, 409), "request": None, "summary": "Ship a paid order (needs orders.ship_order)"},
}


def one_order_schema(action: str, operation_id: str, output: Output, **more: Any) -> Any:
    """The schema of ``action`` on one order, answered with ``output``; ``more`` adds examples or a description."""
    spec = dict(ONE_ORDER[action])
    errors = spec.pop("errors")
    conditional = spec.pop("conditional", False)
    return extend_schema(
        operation_id=operation_id,
        tags=["orders"],
        parameters=CONDITIONAL_PARAMETERS if conditional else None,
        responses={200: output, **(NOT_MODIFIED if conditional else {}), **problems(*errors, *COMMON_ERRORS)},
        **spec,
        **more,
    )


# What each endpoint does, the same in every version; a version's view adds its schema and its output.


def orders_page(view: APIView, request: Request, output: Output) -> HttpResponseBase:
    """One page of the orders the caller may see, filtered and ordered as the query string asks."""
    filters = query_filters(OrderFilters, request)
    result = query_bus().dispatch(ListOrders(**filters))
    return list_response(view, request, result, output, ordering=filters["ordering"])


def place(request: Request, output: Output) -> Response:
    return created(command_bus().dispatch(place_order_command(request)), request, output)


def one_order(request: Request, order_id: UUID, output: Output) -> HttpResponseBase:
    return respond_read(query_bus().dispatch(GetOrder(order_id=order_id)), request, output=output)


def cancel(request: Request, order_id: UUID, output: Output) -> Response:
    data = validated(CancelOrderInput, request)
    return _changed(CancelOrder(order_id=order_id, requested_by=request.user.id, **data), request, output)


def ship(request: Request, order_id: UUID, output: Output) -> Response:
    return _changed(ShipOrder(order_id=order_id, shipped_by=request.user.id), request, output)


def _changed(command: Command, request: Request, output: Output) -> Response:
    """The order as ``command`` left it, or the problem."""
    return respond(as_dto(command_bus().dispatch(command)), request, output=output)


def _flat(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as ``{"items[0].sku": [...]}``, the way the domain names fields."""
    if isinstance(errors, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            name = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flat(value, name))
        return flat
    if isinstance(errors, Iterable) and not isinstance(errors, str):
        items = list(errors)
        if items and all(isinstance(item, str) for item in items):
            return {prefix or "non_field_errors": [str(item) for item in items]}
        flat = {}
        for position, item in enumerate(items):
            if item:
                flat.update(_flat(item, f"{prefix}[{position}]"))
        return flat
    return {prefix or "non_field_errors": [str(errors)]}
