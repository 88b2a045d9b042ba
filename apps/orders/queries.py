"""The read side of the orders context: queries, their DTOs and handlers.

Handlers read the ``orders_read`` table (kept up to date by the projection in
``projections.py``) and never build aggregates. ``GetOrder`` answers a DTO,
read through the read cache (``ORDERS``, invalidated by the projection);
``ListOrders`` answers a ``values()`` queryset the view pages, whose rows
``order_dto_from_row`` turns into DTOs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from apps.orders.models import OrderReadModel
from apps.platform.caching import CachePolicy, cached_query
from apps.platform.listing import Scope, list_rows
from domain.kernel.errors import ValidationError
from domain.kernel.messages import Query
from domain.kernel.money import Money
from domain.kernel.result import Err, Ok, Result
from domain.orders.errors import OrderNotFoundError
from domain.orders.model import Order, OrderStatus

#: ``ordering`` values of the order list and the columns each sorts by; the id breaks ties.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-total": ("-total", "-id"),
    "total": ("total", "id"),
    "status": ("status", "id"),
}
DEFAULT_ORDERING = "-created_at"
STATUSES = tuple(status.value for status in OrderStatus)

COLUMNS = (
    "id",
    "customer_id",
    "customer_email",
    "status",
    "currency",
    "total",
    "item_count",
    "lines",
    "invoice_id",
    "invoice_status",
    "payments",
    "placed_at",
    "paid_at",
    "shipped_at",
    "cancelled_at",
    "refunded_at",
    "created_at",
    "version",
    "invoice_version",
)


@dataclass(frozen=True)
class GetOrder(Query):
    """One order, if the caller may see it: the handler checks the ``scope`` the authorization middleware decided."""

    order_id: UUID


@dataclass(frozen=True)
class ListOrders(Query):
    """Orders filtered and ordered; which ones the caller may see is the handler's ``scope`` argument."""

    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    ordering: str = DEFAULT_ORDERING


@dataclass(frozen=True)
class OrderLineDTO:
    sku: str
    quantity: int
    unit_price: Money
    line_total: Money


@dataclass(frozen=True)
class PaymentDTO:
    """One payment attempt on the order's invoice, as billing reported it."""

    payment_id: str
    provider_payment_id: str
    amount: Money
    status: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class OrderDTO:
    id: UUID
    customer_id: UUID
    customer_email: str
    status: str
    currency: str
    total: Money
    item_count: int
    lines: tuple[OrderLineDTO, ...]
    invoice_id: UUID | None
    invoice_status: str
    payments: tuple[PaymentDTO, ...]
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    cancelled_at: datetime | None
    refunded_at: datetime | None
    created_at: datetime
    revision: int = 0
    """Grows with every change of the read row (its order's and its invoice's versions): what caches compare."""


#: One order's read row, shared by every process (L2) and invalidated by the projection, revision by revision.
ORDERS = CachePolicy("orders", ttl=60, revision=lambda dto: dto.revision)


def order_dto(order: Order) -> OrderDTO:
    """The write side answers from the aggregate it just changed, in the read side's shape.

    The invoice status and payments are billing's to tell; the aggregate knows only
    the invoice that paid it, so a fresh order shows none.
    """
    return OrderDTO(
        id=order.id,
        customer_id=order.customer_id,
        customer_email=order.customer_email,
        status=order.status.value,
        currency=order.currency,
        total=order.total,
        item_count=order.item_count,
        lines=tuple(
            OrderLineDTO(
                sku=line.sku.value,
                quantity=line.quantity.value,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
            for line in order.lines
        ),
        invoice_id=order.invoice_id,
        invoice_status="",
        payments=(),
        placed_at=order.placed_at,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        cancelled_at=order.cancelled_at,
        refunded_at=order.refunded_at,
        created_at=order.placed_at,
    )


def order_dto_from_row(row: Mapping[str, Any]) -> OrderDTO:
    """An ``orders_read`` row (as ``values(*COLUMNS)``) as a DTO, amounts in the order's currency."""
    currency = row["currency"]
    return OrderDTO(
        id=row["id"],
        customer_id=row["customer_id"],
        customer_email=row["customer_email"],
        status=row["status"],
        currency=currency,
        total=Money(Decimal(row["total"]), currency),
        item_count=row["item_count"],
        lines=tuple(
            OrderLineDTO(
                sku=line["sku"],
                quantity=line["quantity"],
                unit_price=Money(Decimal(line["unit_price"]), currency),
                line_total=Money(Decimal(line["line_total"]), currency),
            )
            for line in row["lines"]
        ),
        invoice_id=row["invoice_id"],
        invoice_status=row["invoice_status"],
        payments=tuple(
            PaymentDTO(
                payment_id=payment["payment_id"],
                provider_payment_id=payment["provider_payment_id"],
                amount=Money(Decimal(payment["amount"]), payment["currency"]),
                status=payment["status"],
                reason=payment["reason"],
                at=datetime.fromisoformat(payment["at"]),
            )
            for payment in row["payments"]
        ),
        placed_at=row["placed_at"],
        paid_at=row["paid_at"],
        shipped_at=row["shipped_at"],
        cancelled_at=row["cancelled_at"],
        refunded_at=row["refunded_at"],
        created_at=row["created_at"],
        revision=row["version"] + row["invoice_version"],
    )


def get_order(query: GetOrder, *, scope: Scope) -> Result[OrderDTO, OrderNotFoundError]:
    """The order if ``scope`` admits it. Err: ``OrderNotFoundError`` for an unknown order, one not projected
    yet, and one the caller may not see, alike."""
    order = read_order(query.order_id)
    if order is None or not scope.admits(order.id, order.customer_id):
        return Err(OrderNotFoundError("No order has this id."))
    return Ok(order)


@cached_query(ORDERS)
def read_order(order_id: UUID) -> OrderDTO | None:
    """One ``orders_read`` row as a DTO (one query on a miss); None when there is none."""
    row = OrderReadModel.objects.filter(pk=order_id).values(*COLUMNS).first()
    return None if row is None else order_dto_from_row(row)


def list_orders(
    query: ListOrders, *, scope: Scope
) -> Result[QuerySet[OrderReadModel, dict[str, Any]], ValidationError]:
    """The orders in ``scope`` (decided by the authorization middleware), filtered, ordered, as ``values(*COLUMNS)``.

    Err: ``ValidationError`` naming ``status`` or ``ordering`` when the value is unknown,
    or ``created_to`` when it is before ``created_from``.
    """
    return list_rows(
        OrderReadModel.objects.all(), query, scope=scope, statuses=STATUSES, orderings=ORDERINGS, columns=COLUMNS
    )
