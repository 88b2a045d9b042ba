"""Command handlers of the orders context.

Each takes its command plus keyword-only ports, and returns ``Ok(order)`` or an
``Err`` with a domain or application error. None commits: the unit-of-work
middleware commits on ``Ok`` and rolls back on ``Err``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from domain.kernel.errors import DomainError, InvalidValueError, ValidationError
from domain.kernel.ids import IdFactory
from domain.kernel.money import currency_code
from domain.kernel.ports import Clock
from domain.kernel.result import Err, Ok, Result, attempt
from domain.orders.commands import CancelOrder, MarkOrderPaid, MarkOrderRefunded, PlaceOrder, ShipOrder
from domain.orders.errors import OrderNotFoundError
from domain.orders.model import DEFAULT_MAX_LINES, Order, OrderLine, Quantity, Sku, line_count, unit_price
from domain.orders.ports import OrdersUnitOfWork

T = TypeVar("T")

OrderResult = Result[Order, DomainError | ValidationError]

_NOT_VALID = "The order is not valid."


def place_order(
    cmd: PlaceOrder, *, uow: OrdersUnitOfWork, clock: Clock, ids: IdFactory, max_lines: int = DEFAULT_MAX_LINES
) -> OrderResult:
    """Place an order awaiting payment; its total is computed from the lines.

    Err: ``ValidationError`` with every problem found, per field: ``currency``,
    ``items`` (none, more than ``max_lines``), ``items[i].sku`` / ``.quantity`` /
    ``.unit_price`` (invalid, duplicate SKU, more decimal places than the currency has).
    """
    code = attempt(lambda: currency_code(cmd.currency), message=_NOT_VALID)
    if isinstance(code, Err):
        return code
    currency = code.value
    problems: dict[str, list[str]] = {}
    counted = attempt(lambda: line_count(len(cmd.items), max_lines))
    if isinstance(counted, Err):
        problems.update(counted.error.errors)
    lines: list[OrderLine] = []
    for position, item in enumerate(cmd.items[:max_lines]):
        prefix = f"items[{position}]"
        sku = _value(prefix, problems, Sku, item.sku)
        quantity = _value(prefix, problems, Quantity, item.quantity)
        price = _value(prefix, problems, unit_price, item.unit_price, currency)
        if sku is not None and quantity is not None and price is not None:
            lines.append(OrderLine(sku=sku, quantity=quantity, unit_price=price))
    if problems:
        return Err(ValidationError(_NOT_VALID, problems))
    order = attempt(
        lambda: Order.place(
            id=ids.new(),
            customer_id=cmd.customer_id,
            customer_email=cmd.customer_email,
            currency=currency,
            lines=lines,
            now=clock.now(),
            max_lines=max_lines,
        ),
        message=_NOT_VALID,
    )
    if isinstance(order, Err):
        return order
    uow.orders.add(order.value)
    return order


def cancel_order(cmd: CancelOrder, *, uow: OrdersUnitOfWork, clock: Clock) -> OrderResult:
    """Err: ``OrderNotFoundError``, ``ValidationError`` (reason too long),
    ``IllegalOrderTransitionError`` (not awaiting payment any more)."""
    return _change(
        uow, cmd.order_id, lambda order: order.cancel(reason=cmd.reason, by=cmd.requested_by, now=clock.now())
    )


def ship_order(cmd: ShipOrder, *, uow: OrdersUnitOfWork, clock: Clock) -> OrderResult:
    """Err: ``OrderNotFoundError``, ``IllegalOrderTransitionError`` (not paid, or already shipped)."""
    return _change(uow, cmd.order_id, lambda order: order.ship(by=cmd.shipped_by, now=clock.now()))


def mark_order_paid(cmd: MarkOrderPaid, *, uow: OrdersUnitOfWork, clock: Clock) -> OrderResult:
    """Idempotent: an order already paid with this invoice is ``Ok`` with no new event.

    Err: ``OrderNotFoundError``, ``IllegalOrderTransitionError`` (cancelled, shipped, refunded),
    ``InvoiceMismatchError`` (already paid with another invoice).
    """
    return _change(uow, cmd.order_id, lambda order: order.mark_paid(invoice_id=cmd.invoice_id, now=clock.now()))


def mark_order_refunded(cmd: MarkOrderRefunded, *, uow: OrdersUnitOfWork, clock: Clock) -> OrderResult:
    """Idempotent: an order already refunded for this invoice is ``Ok`` with no new event.

    Err: ``OrderNotFoundError``, ``IllegalOrderTransitionError`` (not paid),
    ``InvoiceMismatchError`` (paid with another invoice).
    """
    return _change(uow, cmd.order_id, lambda order: order.mark_refunded(invoice_id=cmd.invoice_id, now=clock.now()))


def _change(uow: OrdersUnitOfWork, order_id: UUID, change: Callable[[Order], Result[None, DomainError]]) -> OrderResult:
    """Load the order and apply ``change`` to it: ``Ok(order)``, or ``OrderNotFoundError``, the
    ``ValidationError`` of a value the change refused, or the change's own ``Err``."""
    order = uow.orders.get(order_id)
    if order is None:
        return Err(OrderNotFoundError("No order has this id."))
    changed = attempt(lambda: change(order))
    if isinstance(changed, Err):
        return changed
    if isinstance(changed.value, Err):
        return changed.value
    return Ok(order)


def _value(prefix: str, problems: dict[str, list[str]], build: Callable[..., T], *args: Any) -> T | None:
    """``build(*args)``, or ``None`` with its message filed under ``<prefix>.<field>``."""
    try:
        return build(*args)
    except InvalidValueError as exc:
        problems.setdefault(f"{prefix}.{exc.field}", []).append(exc.message)
        return None
