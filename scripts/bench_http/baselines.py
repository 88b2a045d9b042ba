"""The baselines orderflow's read endpoints are compared with, mounted by the benchmark's URL conf alone.

1. ``bare_view``: a plain Django view returning a constant JSON body, behind the same middleware stack as
   every orderflow request: the floor of this process.
2. ``DrfEmptyView``: a DRF ``APIView`` with simplejwt's standard ``JWTAuthentication`` and
   ``IsAuthenticated``, answering 204 with no body: the price of DRF plus verifying an RS256 token and
   loading its user.
3. ``NaiveOrderViewSet``: what a DRF tutorial would write over orderflow's write tables (``orders``,
   ``order_lines``, ``invoices``): a ``ModelViewSet`` with a nested ``ModelSerializer`` (the order, its
   lines, its invoice), the caller's orders only, newest first, 20 to a page, the same authentication.
   Not a straw man: the lines are prefetched, and the invoices of a page are read in one query (the
   tables have no foreign key between orders and invoices, so ``prefetch_related`` cannot do it).
   Its create (``POST /bench/naive/orders``, the writes' baseline) is DRF's writable nested serializer as
   its documentation shows it: the body validated by a ``ModelSerializer`` with the lines nested, then the
   order, its lines (one ``bulk_create``) and an open invoice for the total inserted in one
   ``transaction.atomic()``, and 201 with the order as the detail shows it, rendered from the rows just
   written (no read back). No idempotency, no events, no audit, no authorization beyond the token.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from rest_framework import serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from apps.billing.models import Invoice
from apps.orders.models import Order, OrderLine

CONSTANT = {"status": "ok", "service": "orderflow", "baseline": "bare"}


def bare_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(CONSTANT)


class DrfEmptyView(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(status=204)


class NaiveLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["position", "sku", "quantity", "unit_price"]


class NaiveInvoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invoice
        fields = ["id", "status", "amount", "currency", "issued_at", "paid_at", "voided_at", "refunded_at"]


class NaiveOrderSerializer(serializers.ModelSerializer):
    lines = NaiveLineSerializer(many=True, read_only=True)
    invoice = NaiveInvoiceSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "customer_id",
            "customer_email",
            "status",
            "currency",
            "placed_at",
            "paid_at",
            "shipped_at",
            "cancelled_at",
            "refunded_at",
            "lines",
            "invoice",
        ]


class NaiveLineInput(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["sku", "quantity", "unit_price"]
        extra_kwargs = {"quantity": {"min_value": 1}, "unit_price": {"min_value": Decimal("0.01")}}


class NaiveOrderInput(serializers.ModelSerializer):
    """The create's body: ``{"currency": "EUR", "lines": [{"sku", "quantity", "unit_price"}, ...]}``."""

    lines = NaiveLineInput(many=True, allow_empty=False)

    class Meta:
        model = Order
        fields = ["currency", "lines"]

    def create(self, validated_data: dict[str, Any]) -> Order:
        user = self.context["request"].user
        now = timezone.now()
        lines = validated_data.pop("lines")
        with transaction.atomic():
            order = Order.objects.create(
                id=uuid.uuid4(),
                customer_id=user.pk,
                customer_email=user.email,
                status="pending_payment",
                currency=validated_data["currency"],
                placed_at=now,
                version=1,
            )
            order.created_lines = OrderLine.objects.bulk_create(  # type: ignore[attr-defined]
                OrderLine(order=order, position=position, **line) for position, line in enumerate(lines)
            )
            order.invoice = Invoice.objects.create(  # type: ignore[attr-defined]
                id=uuid.uuid4(),
                order_id=order.id,
                customer_id=user.pk,
                amount=sum((line["quantity"] * line["unit_price"] for line in lines), Decimal(0)),
                currency=order.currency,
                status="open",
                issued_at=now,
                version=1,
            )
        return order


class NaiveCreatedOrderSerializer(NaiveOrderSerializer):
    """The order just created, from the rows written (``created_lines``), without reading them back."""

    lines = NaiveLineSerializer(many=True, read_only=True, source="created_lines")


class NaivePagination(PageNumberPagination):
    page_size = 20


class NaiveOrderViewSet(viewsets.ModelViewSet):
    serializer_class = NaiveOrderSerializer
    pagination_class = NaivePagination
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Order]:
        return (
            Order.objects.filter(customer_id=self.request.user.pk)
            .prefetch_related("lines")
            .order_by("-placed_at", "-id")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # a pagination class is set
        attach_invoices(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = NaiveOrderInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        order = serializer.save()
        return Response(NaiveCreatedOrderSerializer(order).data, status=201)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        attach_invoices([order])
        return Response(self.get_serializer(order).data)


def attach_invoices(orders: list[Order]) -> None:
    """Each order's invoice (or None) as ``order.invoice``, in one query for them all: by ``invoices.order_id``
    (unique), since ``orders.invoice_id`` is filled in for some states only."""
    invoices = Invoice.objects.in_bulk([order.id for order in orders], field_name="order_id")
    for order in orders:
        order.invoice = invoices.get(order.id)  # type: ignore[attr-defined]
