"""Between the ``orders`` / ``order_lines`` rows and the Order aggregate; nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderLine as OrderLineRow
from domain.kernel.money import Money
from domain.orders.model import Order, OrderLine, OrderStatus, Quantity, Sku


def to_domain(row: OrderRow, lines: Iterable[OrderLineRow]) -> Order:
    return Order(
        id=row.id,
        customer_id=row.customer_id,
        customer_email=row.customer_email,
        currency=row.currency,
        lines=tuple(
            OrderLine(
                sku=Sku(line.sku), quantity=Quantity(line.quantity), unit_price=Money(line.unit_price, row.currency)
            )
            for line in sorted(lines, key=lambda line: line.position)
        ),
        status=OrderStatus(row.status),
        placed_at=row.placed_at,
        paid_at=row.paid_at,
        shipped_at=row.shipped_at,
        cancelled_at=row.cancelled_at,
        refunded_at=row.refunded_at,
        invoice_id=row.invoice_id,
        cancellation_reason=row.cancellation_reason,
        version=row.version,
    )


def to_row_fields(order: Order) -> dict[str, Any]:
    """The columns of ``orders`` (lines are written once, at placement)."""
    return {
        "customer_id": order.customer_id,
        "customer_email": order.customer_email,
        "status": order.status.value,
        "currency": order.currency,
        "cancellation_reason": order.cancellation_reason,
        "invoice_id": order.invoice_id,
        "placed_at": order.placed_at,
        "paid_at": order.paid_at,
        "shipped_at": order.shipped_at,
        "cancelled_at": order.cancelled_at,
        "refunded_at": order.refunded_at,
        "version": order.version,
    }


def to_row(order: Order) -> OrderRow:
    return OrderRow(id=order.id, **to_row_fields(order))


def to_line_rows(order: Order) -> list[OrderLineRow]:
    return [
        OrderLineRow(
            order_id=order.id,
            position=position,
            sku=line.sku.value,
            quantity=line.quantity.value,
            unit_price=line.unit_price.amount,
        )
        for position, line in enumerate(order.lines)
    ]
