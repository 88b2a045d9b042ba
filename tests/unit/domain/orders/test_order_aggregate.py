"""The Order aggregate: placement invariants, the derived total and every status transition."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.kernel.errors import BusinessRuleViolationError, InvalidValueError
from domain.kernel.money import Money
from domain.kernel.result import Err, Ok
from domain.orders.errors import IllegalOrderTransitionError, InvoiceMismatchError
from domain.orders.events import OrderCancelled, OrderPaid, OrderPlaced, OrderRefunded, OrderShipped, PlacedLine
from domain.orders.model import Order, OrderLine, OrderStatus, Quantity, Sku, line_count

ORDER_ID = UUID(int=1)
CUSTOMER_ID = UUID(int=2)
STAFF_ID = UUID(int=3)
INVOICE_ID = UUID(int=4)
OTHER_INVOICE_ID = UUID(int=5)
PLACED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = PLACED_AT + timedelta(hours=2)


def line(sku: str = "BOOK-1", quantity: int = 1, price: str = "10.00", currency: str = "EUR") -> OrderLine:
    return OrderLine(sku=Sku(sku), quantity=Quantity(quantity), unit_price=Money(Decimal(price), currency))


def placed(*lines: OrderLine, max_lines: int = 50) -> Order:
    return Order.place(
        id=ORDER_ID,
        customer_id=CUSTOMER_ID,
        customer_email="ann@example.com",
        currency="eur",
        lines=list(lines or [line()]),
        now=PLACED_AT,
        max_lines=max_lines,
    )


def in_status(status: OrderStatus, *, invoice_id: UUID | None = None) -> Order:
    """An order loaded in ``status`` (no pending events)."""
    return Order(
        id=ORDER_ID,
        customer_id=CUSTOMER_ID,
        customer_email="ann@example.com",
        currency="EUR",
        lines=(line(),),
        status=status,
        placed_at=PLACED_AT,
        invoice_id=invoice_id if invoice_id is not None or status is OrderStatus.PENDING_PAYMENT else INVOICE_ID,
        version=3,
    )


# --- placement --------------------------------------------------------------------------------------------------


def test_placing_records_order_placed_with_the_total_derived_from_the_lines():
    order = placed(line("BOOK-1", 2, "12.30"), line("PEN", 3, "1.05"))

    assert order.status is OrderStatus.PENDING_PAYMENT
    assert order.currency == "EUR"
    assert order.total == Money(Decimal("27.75"), "EUR")
    assert order.item_count == 5
    assert order.version == 1
    (event,) = order.pending_events
    assert event == OrderPlaced(
        occurred_at=PLACED_AT,
        event_id=event.event_id,
        aggregate_type="orders.order",
        aggregate_id=ORDER_ID,
        aggregate_version=1,
        order_id=ORDER_ID,
        customer_id=CUSTOMER_ID,
        customer_email="ann@example.com",
        currency="EUR",
        total=Decimal("27.75"),
        item_count=5,
        lines=(
            PlacedLine(sku="BOOK-1", quantity=2, unit_price=Decimal("12.30"), line_total=Decimal("24.60")),
            PlacedLine(sku="PEN", quantity=3, unit_price=Decimal("1.05"), line_total=Decimal("3.15")),
        ),
    )


def test_an_order_without_lines_is_refused():
    with pytest.raises(InvalidValueError) as caught:
        Order.place(
            id=ORDER_ID,
            customer_id=CUSTOMER_ID,
            customer_email="a@example.com",
            currency="EUR",
            lines=[],
            now=PLACED_AT,
        )

    assert (caught.value.field, caught.value.message) == ("items", "An order needs at least one line.")


def test_an_order_may_have_max_lines_but_not_one_more():
    lines = [line(f"SKU-{n}") for n in range(4)]

    assert len(placed(*lines[:3], max_lines=3).lines) == 3
    with pytest.raises(InvalidValueError) as caught:
        placed(*lines, max_lines=3)
    assert (caught.value.field, caught.value.message) == ("items", "An order has at most 3 lines.")


@pytest.mark.parametrize(
    ("count", "message"), [(0, "An order needs at least one line."), (4, "An order has at most 3 lines.")]
)
def test_the_line_count_rule_refuses_none_and_more_than_max_lines(count, message):
    assert [line_count(n, 3) for n in (1, 3)] == [1, 3]
    with pytest.raises(InvalidValueError) as caught:
        line_count(count, 3)
    assert (caught.value.field, caught.value.message) == ("items", message)


def test_a_line_in_another_currency_is_refused_naming_the_line():
    with pytest.raises(InvalidValueError) as caught:
        placed(line("A"), line("B", currency="USD"))

    assert caught.value.field == "items[1].unit_price"
    assert "USD" in caught.value.message
    assert "EUR" in caught.value.message


def test_a_sku_twice_is_refused_naming_the_second_line():
    with pytest.raises(InvalidValueError) as caught:
        placed(line("A"), line("B"), line(" a "))

    assert caught.value.field == "items[2].sku"
    assert "line 0" in caught.value.message


def test_a_total_too_large_to_represent_is_refused():
    with pytest.raises(InvalidValueError) as caught:
        placed(line("A", 10_000, "9" * 16), line("B", 10_000, "9" * 16))

    assert caught.value.field == "items"


# --- transitions ------------------------------------------------------------------------------------------------


def test_cancelling_an_order_awaiting_payment_records_order_cancelled():
    order = in_status(OrderStatus.PENDING_PAYMENT)

    assert order.cancel(reason="  changed my mind ", by=CUSTOMER_ID, now=LATER) == Ok(None)

    assert (order.status, order.cancelled_at, order.cancellation_reason) == (
        OrderStatus.CANCELLED,
        LATER,
        "changed my mind",
    )
    (event,) = order.pending_events
    assert isinstance(event, OrderCancelled)
    assert (event.order_id, event.customer_id, event.reason, event.cancelled_by, event.aggregate_version) == (
        ORDER_ID,
        CUSTOMER_ID,
        "changed my mind",
        CUSTOMER_ID,
        4,
    )


def test_a_cancellation_reason_longer_than_500_characters_is_refused():
    with pytest.raises(InvalidValueError) as caught:
        in_status(OrderStatus.PENDING_PAYMENT).cancel(reason="x" * 501, by=CUSTOMER_ID, now=LATER)

    assert caught.value.field == "reason"


def test_paying_an_order_awaiting_payment_records_order_paid():
    order = in_status(OrderStatus.PENDING_PAYMENT)

    assert order.mark_paid(invoice_id=INVOICE_ID, now=LATER) == Ok(None)

    assert (order.status, order.paid_at, order.invoice_id) == (OrderStatus.PAID, LATER, INVOICE_ID)
    (event,) = order.pending_events
    assert isinstance(event, OrderPaid)
    assert (event.order_id, event.invoice_id) == (ORDER_ID, INVOICE_ID)


def test_paying_again_with_the_same_invoice_changes_nothing():
    order = in_status(OrderStatus.PAID, invoice_id=INVOICE_ID)

    assert order.mark_paid(invoice_id=INVOICE_ID, now=LATER) == Ok(None)

    assert order.pending_events == ()
    assert order.paid_at is None


def test_paying_a_paid_order_with_another_invoice_is_refused():
    order = in_status(OrderStatus.PAID, invoice_id=INVOICE_ID)

    result = order.mark_paid(invoice_id=OTHER_INVOICE_ID, now=LATER)

    assert isinstance(result, Err)
    assert isinstance(result.error, InvoiceMismatchError)
    assert order.pending_events == ()


def test_shipping_a_paid_order_records_order_shipped():
    order = in_status(OrderStatus.PAID)

    assert order.ship(by=STAFF_ID, now=LATER) == Ok(None)

    assert (order.status, order.shipped_at) == (OrderStatus.SHIPPED, LATER)
    (event,) = order.pending_events
    assert isinstance(event, OrderShipped)
    assert event.shipped_by == STAFF_ID


def test_refunding_a_paid_order_records_order_refunded():
    order = in_status(OrderStatus.PAID, invoice_id=INVOICE_ID)

    assert order.mark_refunded(invoice_id=INVOICE_ID, now=LATER) == Ok(None)

    assert (order.status, order.refunded_at) == (OrderStatus.REFUNDED, LATER)
    (event,) = order.pending_events
    assert isinstance(event, OrderRefunded)
    assert event.invoice_id == INVOICE_ID


def test_refunding_again_with_the_same_invoice_changes_nothing():
    order = in_status(OrderStatus.REFUNDED, invoice_id=INVOICE_ID)

    assert order.mark_refunded(invoice_id=INVOICE_ID, now=LATER) == Ok(None)
    assert order.pending_events == ()


def test_refunding_with_another_invoice_than_the_paying_one_is_refused():
    order = in_status(OrderStatus.PAID, invoice_id=INVOICE_ID)

    result = order.mark_refunded(invoice_id=OTHER_INVOICE_ID, now=LATER)

    assert isinstance(result, Err)
    assert isinstance(result.error, InvoiceMismatchError)
    assert order.status is OrderStatus.PAID


LEGAL = {
    (OrderStatus.PENDING_PAYMENT, "cancel"),
    (OrderStatus.PENDING_PAYMENT, "pay"),
    (OrderStatus.PAID, "ship"),
    (OrderStatus.PAID, "refund"),
    (OrderStatus.PAID, "pay"),  # same invoice: a no-op
    (OrderStatus.REFUNDED, "refund"),  # same invoice: a no-op
}
ACTIONS = {
    "cancel": lambda order: order.cancel(reason="", by=STAFF_ID, now=LATER),
    "pay": lambda order: order.mark_paid(invoice_id=INVOICE_ID, now=LATER),
    "ship": lambda order: order.ship(by=STAFF_ID, now=LATER),
    "refund": lambda order: order.mark_refunded(invoice_id=INVOICE_ID, now=LATER),
}


@pytest.mark.parametrize(
    ("status", "action"),
    sorted((status, action) for status in OrderStatus for action in ACTIONS if (status, action) not in LEGAL),
)
def test_every_illegal_transition_is_refused_and_changes_nothing(status, action):
    order = in_status(status, invoice_id=INVOICE_ID)

    result = ACTIONS[action](order)

    assert isinstance(result, Err)
    assert isinstance(result.error, IllegalOrderTransitionError)
    assert isinstance(result.error, BusinessRuleViolationError)
    assert str(ORDER_ID) in str(result.error)
    assert status.value in str(result.error)
    assert order.status is status
    assert order.pending_events == ()
    assert order.version == 3


def test_final_statuses_are_cancelled_shipped_and_refunded():
    assert {status for status in OrderStatus if status.is_final} == {
        OrderStatus.CANCELLED,
        OrderStatus.SHIPPED,
        OrderStatus.REFUNDED,
    }
