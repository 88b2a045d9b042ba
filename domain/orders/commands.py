"""What callers can ask of the orders context."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from domain.kernel.messages import Command


@dataclass(frozen=True)
class OrderItem:
    """One requested line: the unit price is in the order's currency."""

    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class PlaceOrder(Command):
    customer_id: UUID
    customer_email: str
    currency: str
    items: tuple[OrderItem, ...]


@dataclass(frozen=True)
class CancelOrder(Command):
    """Who may cancel which order is the bus's authorization, not the handler's (``apps.security.rules``)."""

    order_id: UUID
    requested_by: UUID
    reason: str = ""


@dataclass(frozen=True)
class ShipOrder(Command):
    order_id: UUID
    shipped_by: UUID


@dataclass(frozen=True)
class MarkOrderPaid(Command):
    order_id: UUID
    invoice_id: UUID


@dataclass(frozen=True)
class MarkOrderRefunded(Command):
    order_id: UUID
    invoice_id: UUID
