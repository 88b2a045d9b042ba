"""The Order aggregate and its value objects.

An order is placed with one or more lines, all priced in the order's currency,
and then moves through a small state machine::

    pending_payment -> paid -> shipped
    pending_payment -> cancelled
    paid            -> refunded

``cancelled``, ``shipped`` and ``refunded`` are final. The total is always derived
from the lines (quantity x unit price), never taken from the caller.

Duplicate SKUs are refused rather than merged: two lines for one SKU are most
likely a client bug (a double click, a stale cart), and merging them would
silently change the quantity the customer saw, possibly past the per-line limit.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, DecimalException
from typing import ClassVar
from uuid import UUID

from domain.kernel.aggregate import AggregateRoot
from domain.kernel.errors import DomainError, InvalidValueError
from domain.kernel.money import Money, currency_code, minor_unit
from domain.kernel.result import Err, Ok, Result
from domain.kernel.value_object import ValueObject
from domain.orders.errors import IllegalOrderTransitionError, InvoiceMismatchError
from domain.orders.events import (
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PlacedLine,
)

_SKU = re.compile(r"[A-Z0-9._-]+")

#: The number of lines an order may have unless the deployment says otherwise (ORDER_MAX_LINES).
DEFAULT_MAX_LINES = 50


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.SHIPPED, OrderStatus.REFUNDED})


@dataclass(frozen=True, slots=True)
class Sku(ValueObject):
    """A stock-keeping unit: trimmed, upper-cased, 1-64 of ``A-Z 0-9 . _ -``."""

    value: str

    MAX_LENGTH: ClassVar[int] = 64

    def __post_init__(self) -> None:
        normalised = str(self.value).strip().upper()
        object.__setattr__(self, "value", normalised)
        if not normalised:
            raise InvalidValueError("sku", "Enter a SKU.")
        if len(normalised) > self.MAX_LENGTH:
            raise InvalidValueError("sku", f"A SKU has at most {self.MAX_LENGTH} characters.")
        if not _SKU.fullmatch(normalised):
            raise InvalidValueError("sku", "A SKU may contain only letters, digits, '.', '_' and '-'.")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Quantity(ValueObject):
    """How many units of a SKU a line orders: a whole number from 1 to ``MAX``."""

    value: int

    MAX: ClassVar[int] = 10_000

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise InvalidValueError("quantity", "A quantity must be a whole number.")
        if not 1 <= self.value <= self.MAX:
            raise InvalidValueError("quantity", f"A quantity must be between 1 and {self.MAX}.")


def unit_price(amount: Decimal | int, currency: str) -> Money:
    """``amount`` as a positive price in ``currency``.

    Unlike ``Money``, which rounds to the minor unit, a price with more decimal
    places than the currency has is refused: rounding would charge another price
    than the one the customer was shown.
    """
    code = currency_code(currency)
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise InvalidValueError("unit_price", "A unit price must be a decimal number.")
    decimal = Decimal(amount)
    if not decimal.is_finite():
        raise InvalidValueError("unit_price", "A unit price must be a decimal number.")
    places = minor_unit(code)
    try:
        exponent = decimal.normalize().as_tuple().exponent
    except DecimalException:  # beyond what a decimal context can hold (1e1000000): no price is that big
        raise InvalidValueError("unit_price", "A unit price is out of range.") from None
    if isinstance(exponent, int) and -exponent > places:
        raise InvalidValueError("unit_price", f"A {code} price has at most {places} decimal places.")
    try:
        price = Money(decimal, code)
    except InvalidValueError as exc:
        raise InvalidValueError("unit_price", exc.message) from None
    if not price.is_positive:
        raise InvalidValueError("unit_price", "A unit price must be greater than zero.")
    return price


def line_count(count: int, max_lines: int = DEFAULT_MAX_LINES) -> int:
    """``count`` as the number of lines of an order; InvalidValueError (``items``) unless 1 to ``max_lines``."""
    if not count:
        raise InvalidValueError("items", "An order needs at least one line.")
    if count > max_lines:
        raise InvalidValueError("items", f"An order has at most {max_lines} lines.")
    return count


@dataclass(frozen=True, slots=True)
class OrderLine(ValueObject):
    sku: Sku
    quantity: Quantity
    unit_price: Money

    def __post_init__(self) -> None:
        if not self.unit_price.is_positive:
            raise InvalidValueError("unit_price", "A unit price must be greater than zero.")

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity.value

    @property
    def currency(self) -> str:
        return self.unit_price.currency


class Order(AggregateRoot[UUID]):
    """A customer's order. Its lines are fixed once placed; only its status moves on."""

    __slots__ = (
        "cancellation_reason",
        "cancelled_at",
        "currency",
        "customer_email",
        "customer_id",
        "invoice_id",
        "lines",
        "paid_at",
        "placed_at",
        "refunded_at",
        "shipped_at",
        "status",
    )

    aggregate_type = "orders.order"
    MAX_REASON: ClassVar[int] = 500

    def __init__(
        self,
        *,
        id: UUID,
        customer_id: UUID,
        customer_email: str,
        currency: str,
        lines: tuple[OrderLine, ...],
        status: OrderStatus,
        placed_at: datetime,
        paid_at: datetime | None = None,
        shipped_at: datetime | None = None,
        cancelled_at: datetime | None = None,
        refunded_at: datetime | None = None,
        invoice_id: UUID | None = None,
        cancellation_reason: str = "",
        version: int = 0,
    ) -> None:
        super().__init__(id=id, version=version)
        self.customer_id = customer_id
        self.customer_email = customer_email
        self.currency = currency
        self.lines = lines
        self.status = status
        self.placed_at = placed_at
        self.paid_at = paid_at
        self.shipped_at = shipped_at
        self.cancelled_at = cancelled_at
        self.refunded_at = refunded_at
        self.invoice_id = invoice_id
        self.cancellation_reason = cancellation_reason

    @property
    def total(self) -> Money:
        """The sum of the line totals, in the order's currency."""
        total = Money.zero(self.currency)
        for line in self.lines:
            total += line.line_total
        return total

    @property
    def item_count(self) -> int:
        return sum(line.quantity.value for line in self.lines)

    @classmethod
    def place(
        cls,
        *,
        id: UUID,
        customer_id: UUID,
        customer_email: str,
        currency: str,
        lines: Sequence[OrderLine],
        now: datetime,
        max_lines: int = DEFAULT_MAX_LINES,
    ) -> Order:
        """A new order awaiting payment, with ``OrderPlaced`` recorded.

        Raises ``InvalidValueError`` naming the field (``items``, or ``items[i].<field>``
        for one line): no lines, more than ``max_lines``, a line in another currency,
        a SKU that appears twice, a total too large to represent.
        """
        code = currency_code(currency)
        line_count(len(lines), max_lines)
        first_of: dict[Sku, int] = {}
        for position, line in enumerate(lines):
            if line.currency != code:
                raise InvalidValueError(
                    f"items[{position}].unit_price",
                    f"Line {position} is priced in {line.currency}; every line must be in the order currency {code}.",
                )
            if line.sku in first_of:
                raise InvalidValueError(
                    f"items[{position}].sku",
                    f"SKU {line.sku} is already ordered in line {first_of[line.sku]}; "
                    "order it once with the whole quantity.",
                )
            first_of[line.sku] = position
        order = cls(
            id=id,
            customer_id=customer_id,
            customer_email=customer_email,
            currency=code,
            lines=tuple(lines),
            status=OrderStatus.PENDING_PAYMENT,
            placed_at=now,
        )
        try:
            total = order.total
        except InvalidValueError:
            raise InvalidValueError("items", "The order total is too large.") from None
        order._record(
            OrderPlaced(
                occurred_at=now,
                order_id=id,
                customer_id=customer_id,
                customer_email=customer_email,
                currency=code,
                total=total.amount,
                item_count=order.item_count,
                lines=tuple(
                    PlacedLine(
                        sku=line.sku.value,
                        quantity=line.quantity.value,
                        unit_price=line.unit_price.amount,
                        line_total=line.line_total.amount,
                    )
                    for line in order.lines
                ),
            )
        )
        return order

    def cancel(self, *, reason: str, by: UUID, now: datetime) -> Result[None, DomainError]:
        """Only an order still awaiting payment can be cancelled.

        Raises ``InvalidValueError`` for a reason longer than ``MAX_REASON``.
        """
        reason = reason.strip()
        if len(reason) > self.MAX_REASON:
            raise InvalidValueError("reason", f"A reason has at most {self.MAX_REASON} characters.")
        if self.status is not OrderStatus.PENDING_PAYMENT:
            return self._illegal("cancelled")
        self.status = OrderStatus.CANCELLED
        self.cancelled_at = now
        self.cancellation_reason = reason
        cancelled = OrderCancelled(
            occurred_at=now, order_id=self.id, customer_id=self.customer_id, reason=reason, cancelled_by=by
        )
        self._record(cancelled)
        return Ok(None)

    def mark_paid(self, *, invoice_id: UUID, now: datetime) -> Result[None, DomainError]:
        """Paid by ``invoice_id``; already paid by that same invoice is a no-op (redelivered payments)."""
        if self.status is not OrderStatus.PENDING_PAYMENT:
            if self.invoice_id == invoice_id and self.status is OrderStatus.PAID:
                return Ok(None)
            if self.status is OrderStatus.PAID:
                return Err(InvoiceMismatchError(f"Order {self.id} is already paid with another invoice."))
            return self._illegal("marked paid")
        self.status = OrderStatus.PAID
        self.paid_at = now
        self.invoice_id = invoice_id
        self._record(OrderPaid(occurred_at=now, order_id=self.id, invoice_id=invoice_id))
        return Ok(None)

    def ship(self, *, by: UUID, now: datetime) -> Result[None, DomainError]:
        """Only a paid order can be shipped."""
        if self.status is not OrderStatus.PAID:
            return self._illegal("shipped")
        self.status = OrderStatus.SHIPPED
        self.shipped_at = now
        self._record(OrderShipped(occurred_at=now, order_id=self.id, shipped_by=by))
        return Ok(None)

    def mark_refunded(self, *, invoice_id: UUID, now: datetime) -> Result[None, DomainError]:
        """A paid order's invoice was refunded; already refunded by that invoice is a no-op."""
        if self.status is OrderStatus.REFUNDED and self.invoice_id == invoice_id:
            return Ok(None)
        if self.status is not OrderStatus.PAID:
            return self._illegal("refunded")
        if self.invoice_id != invoice_id:
            return Err(InvoiceMismatchError(f"Order {self.id} was paid with another invoice than {invoice_id}."))
        self.status = OrderStatus.REFUNDED
        self.refunded_at = now
        self._record(OrderRefunded(occurred_at=now, order_id=self.id, invoice_id=invoice_id))
        return Ok(None)

    def _illegal(self, change: str) -> Result[None, DomainError]:
        return Err(IllegalOrderTransitionError(f"Order {self.id} is {self.status.value} and cannot be {change}."))
