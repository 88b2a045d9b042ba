"""Facts of the orders context; each leaves the context through the outbox as ``orders.*``.

Amounts are ``Decimal`` quantised to the order currency's minor unit, so they
travel as exact decimal strings (``"12.30"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from domain.kernel.events import DomainEvent


@dataclass(frozen=True)
class PlacedLine:
    """One line of a placed order as the event carries it."""

    sku: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    """``item_count`` is the number of items (the sum of the quantities), not the number of lines."""

    event_type = "orders.order_placed"

    order_id: UUID
    customer_id: UUID
    customer_email: str
    currency: str
    total: Decimal
    item_count: int
    lines: tuple[PlacedLine, ...]


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(DomainEvent):
    event_type = "orders.order_cancelled"

    order_id: UUID
    customer_id: UUID
    reason: str
    cancelled_by: UUID


@dataclass(frozen=True, kw_only=True)
class OrderPaid(DomainEvent):
    event_type = "orders.order_paid"

    order_id: UUID
    invoice_id: UUID


@dataclass(frozen=True, kw_only=True)
class OrderShipped(DomainEvent):
    event_type = "orders.order_shipped"

    order_id: UUID
    shipped_by: UUID


@dataclass(frozen=True, kw_only=True)
class OrderRefunded(DomainEvent):
    event_type = "orders.order_refunded"

    order_id: UUID
    invoice_id: UUID
