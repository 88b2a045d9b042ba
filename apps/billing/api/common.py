"""Billing API: what both versions share (request shapes, filters, the page shape, the list and refund flows)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing.queries import ORDERINGS, STATUSES, GetInvoice, ListInvoices, invoice_dto, invoice_dto_from_row
from apps.platform.buses import command_bus, query_bus
from apps.platform.openapi import CONDITIONAL_PARAMETERS, NOT_MODIFIED, problems
from apps.platform.problems import problem_for_error
from apps.platform.responses import query_filters, representation, respond, respond_page, respond_read, validated
from apps.platform.serializers import StrictCharField
from domain.billing.commands import RefundInvoice
from domain.kernel.result import Err, Ok

COMMON_ERRORS = (406, 413, 415, 429, 500)

#: An invoice as v1 writes it (money as a decimal string beside its currency); v2 derives its own from it.
INVOICE_EXAMPLE = {
    "id": "0b7c2f5e-3c1d-4f7a-9a55-0c6a2f1d9e10",
    "order_id": "5d0e8a4b-77e1-4c5b-8f0e-2a9d6c3b1f42",
    "customer_id": "9a1f3c2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
    "status": "paid",
    "amount": "42.50",
    "currency": "EUR",
    "payments": [
        {
            "id": "7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9",
            "provider_payment_id": "pi_3PqL2a2eZvKYlo2C1x2y3z4w",
            "amount": "42.50",
            "currency": "EUR",
            "status": "captured",
            "reason": "",
            "at": "2026-11-29T10:15:00Z",
        }
    ],
    "issued_at": "2026-11-29T10:00:00Z",
    "paid_at": "2026-11-29T10:15:00Z",
    "voided_at": None,
    "refunded_at": None,
}


def page_of(item: type[serializers.Serializer], name: str, *, counted: bool) -> type[serializers.Serializer]:
    """The documented shape of one page of ``item``: page numbers with a count (v1) or cursors (v2)."""
    fields: dict[str, Any] = {
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    }
    if counted:
        fields = {"count": serializers.IntegerField(), **fields}
    return type(name, (serializers.Serializer,), fields)


class InvoiceFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES, required=False, help_text="Only invoices in this status.")
    created_from = serializers.DateTimeField(required=False, help_text="Issued at or after this time.")
    created_to = serializers.DateTimeField(required=False, help_text="Issued at or before this time.")
    ordering = serializers.ChoiceField(
        choices=tuple(ORDERINGS), required=False, default="-created_at", help_text="Newest first by default."
    )


@extend_schema_serializer(
    component_name="RefundInvoiceInput",
    examples=[OpenApiExample("Refund", value={"reason": "The customer returned the goods."}, request_only=True)],
)
class RefundInput(serializers.Serializer):
    reason = StrictCharField(max_length=500)


def list_response(view: APIView, request: Request, paginator: BasePagination, output: type[Any]) -> HttpResponseBase:
    """One page of the caller's invoices (the ones they may see), filtered by the query string."""
    filters = query_filters(InvoiceFilters, request)
    result = query_bus().dispatch(ListInvoices(**filters))
    if isinstance(result, Err):
        return problem_for_error(result.error, request)
    if hasattr(paginator, "ordering"):
        paginator.ordering = ORDERINGS[filters["ordering"]]

    def page() -> Response:
        rows = paginator.paginate_queryset(result.value, request, view=view) or []
        render = representation(output)
        return paginator.get_paginated_response([render(invoice_dto_from_row(row)) for row in rows])

    return respond_page(request, result.value, page)


def refund(request: Request, invoice_id: UUID, output: type[serializers.Serializer]) -> Response:
    """Refund as the signed-in caller (the bus checks billing.refund_invoice); answers the refunded invoice."""
    data = validated(RefundInput, request)
    result = command_bus().dispatch(
        RefundInvoice(invoice_id=invoice_id, requested_by=request.user.id, reason=data["reason"])
    )
    return respond(Ok(invoice_dto(result.value)) if isinstance(result, Ok) else result, request, output=output)


def detail_schema(operation_id: str, output: type[serializers.Serializer], example: dict[str, Any]) -> Any:
    """The OpenAPI description of one invoice, the same in every version but for its output."""
    return extend_schema(
        operation_id=operation_id,
        tags=["invoices"],
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: output, **NOT_MODIFIED, **problems(401, 404, *COMMON_ERRORS)},
        summary="One invoice with its payments",
        description="Another customer's invoice is answered with 404, as an unknown id is.",
        examples=[OpenApiExample("Paid invoice", value=example, response_only=True)],
    )


def refund_schema(operation_id: str, output: type[serializers.Serializer], example: dict[str, Any]) -> Any:
    """The OpenAPI description of a refund, the same in every version but for its output."""
    return extend_schema(
        operation_id=operation_id,
        tags=["invoices"],
        request=RefundInput,
        responses={200: output, **problems(400, 401, 403, 404, 409, 422, 502, *COMMON_ERRORS)},
        summary="Refund a paid invoice through the payment provider (needs billing.refund_invoice)",
        description=(
            "409 when the invoice is not paid; 422 when the payment provider refuses the refund; "
            "502 when the provider cannot be reached (nothing changed: try again)."
        ),
        examples=[
            OpenApiExample("A reason for the books", value={"reason": "Damaged in transit"}, request_only=True),
            OpenApiExample("Refunded", value={**example, "status": "refunded"}, response_only=True),
        ],
    )


def one_invoice(request: Request, invoice_id: UUID, output: type[serializers.Serializer]) -> HttpResponseBase:
    """``GetInvoice`` answered with ``output`` (ETag, 304), or the problem for its ``Err``."""
    return respond_read(query_bus().dispatch(GetInvoice(invoice_id=invoice_id)), request, output=output)
