"""The orders command handlers on in-memory fakes: no database, a frozen clock, predictable ids."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.kernel.errors import ValidationError
from domain.kernel.ids import SequentialIdFactory
from domain.kernel.money import Money
from domain.kernel.ports import FrozenClock
from domain.kernel.result import Err, Ok
from domain.orders.commands import CancelOrder, MarkOrderPaid, MarkOrderRefunded, OrderItem, PlaceOrder, ShipOrder
from domain.orders.errors import IllegalOrderTransitionError, InvoiceMismatchError, OrderNotFoundError
from domain.orders.events import OrderCancelled, OrderPaid, OrderPlaced, OrderRefunded, OrderShipped
from domain.orders.handlers import cancel_order, mark_order_paid, mark_order_refunded, place_order, ship_order
from domain.orders.model import Order, OrderLine, OrderStatus, Quantity, Sku
from tests.support.fakes import FakeUnitOfWork, orders_uow

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CUSTOMER_ID = UUID("cccccccc-0000-4000-8000-000000000001")
STAFF_ID = UUID("cccccccc-0000-4000-8000-0000000000ad")
ORDER_ID = UUID("dddddddd-0000-4000-8000-000000000001")
INVOICE_ID = UUID("eeeeeeee-0000-4000-8000-000000000001")


def existing(status: OrderStatus = OrderStatus.PENDING_PAYMENT, *, invoice_id: UUID | None = None) -> Order:
    return Order(
        id=ORDER_ID,
        customer_id=CUSTOMER_ID,
        customer_email="ann@example.com",
        currency="EUR",
        lines=(OrderLine(sku=Sku("A"), quantity=Quantity(2), unit_price=Money(Decimal("5.00"), "EUR")),),
        status=status,
        placed_at=T0,
        invoice_id=invoice_id,
        version=2,
    )


def item(sku: str = "BOOK-1", quantity: int = 1, price: str = "10.00") -> OrderItem:
    return OrderItem(sku=sku, quantity=quantity, unit_price=Decimal(price))


def place(items, *, currency: str = "EUR", max_lines: int = 50, uow: FakeUnitOfWork | None = None):
    uow = uow or orders_uow()
    command = PlaceOrder(
        customer_id=CUSTOMER_ID, customer_email="ann@example.com", currency=currency, items=tuple(items)
    )
    return place_order(command, uow=uow, clock=FrozenClock(T0), ids=SequentialIdFactory(), max_lines=max_lines), uow


# --- PlaceOrder -------------------------------------------------------------------------------------------------


def test_place_order_adds_an_order_awaiting_payment_with_the_derived_total():
    result, uow = place([item("book-1", 2, "12.30"), item("PEN", 1, "1.5")], currency="eur")

    assert isinstance(result, Ok)
    order = result.value
    assert order.id == UUID(int=1)
    assert (order.customer_id, order.currency, order.status) == (CUSTOMER_ID, "EUR", OrderStatus.PENDING_PAYMENT)
    assert [line.sku.value for line in order.lines] == ["BOOK-1", "PEN"]
    assert order.total == Money(Decimal("26.10"), "EUR")
    assert uow.orders.seen == {order.id: order}
    uow.commit()
    assert [type(event) for event in uow.published] == [OrderPlaced]
    assert uow.orders.rows[order.id] is order


def test_place_order_reports_every_bad_line_field_at_once():
    result, uow = place([item("ok", 1, "1.00"), item("bad sku", 0, "1.001"), item("X", 20_000, "-2")])

    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    assert result.error.errors == {
        "items[1].sku": ["A SKU may contain only letters, digits, '.', '_' and '-'."],
        "items[1].quantity": ["A quantity must be between 1 and 10000."],
        "items[1].unit_price": ["A EUR price has at most 2 decimal places."],
        "items[2].quantity": ["A quantity must be between 1 and 10000."],
        "items[2].unit_price": ["A unit price must be greater than zero."],
    }
    assert uow.orders.seen == {}


@pytest.mark.parametrize(
    ("items", "currency", "errors"),
    [
        ([], "EUR", {"items": ["An order needs at least one line."]}),
        ([item()], "EURO", {"currency": ["'EURO' is not an ISO 4217 currency code."]}),
        ([item()], "XXX", {"currency": ["'XXX' is not an ISO 4217 currency code."]}),
        (
            [item("A"), item("a")],
            "EUR",
            {"items[1].sku": ["SKU A is already ordered in line 0; order it once with the whole quantity."]},
        ),
        ([item(price="0.5")], "JPY", {"items[0].unit_price": ["A JPY price has at most 0 decimal places."]}),
    ],
)
def test_place_order_refuses_invalid_orders(items, currency, errors):
    result, uow = place(items, currency=currency)

    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    assert result.error.errors == errors
    assert uow.orders.seen == {}


def test_place_order_honours_the_configured_maximum_number_of_lines():
    items = [item(f"SKU-{n}") for n in range(4)]

    assert isinstance(place(items[:3], max_lines=3)[0], Ok)
    result, _ = place(items, max_lines=3)
    assert isinstance(result, Err)
    assert result.error.errors == {"items": ["An order has at most 3 lines."]}


def test_place_order_reports_too_many_lines_with_the_problems_of_the_lines_it_checked():
    items = [item("A"), item("bad sku"), item("C"), item("D", 0)]

    result, uow = place(items, max_lines=3)

    assert isinstance(result, Err)
    assert result.error.message == "The order is not valid."
    assert list(result.error.errors.items()) == [
        ("items", ["An order has at most 3 lines."]),
        ("items[1].sku", ["A SKU may contain only letters, digits, '.', '_' and '-'."]),
    ]
    assert uow.orders.seen == {}


# --- CancelOrder ------------------------------------------------------------------------------------------------


def test_an_order_awaiting_payment_can_be_cancelled():
    uow = orders_uow([existing()])

    result = cancel_order(
        CancelOrder(order_id=ORDER_ID, requested_by=CUSTOMER_ID, reason="late"),
        uow=uow,
        clock=FrozenClock(T0 + timedelta(hours=1)),
    )

    assert isinstance(result, Ok)
    assert result.value.status is OrderStatus.CANCELLED
    (event,) = result.value.pending_events
    assert isinstance(event, OrderCancelled)
    assert (event.cancelled_by, event.reason) == (CUSTOMER_ID, "late")


def test_cancelling_a_paid_order_is_an_illegal_transition():
    uow = orders_uow([existing(OrderStatus.PAID, invoice_id=INVOICE_ID)])

    result = cancel_order(CancelOrder(order_id=ORDER_ID, requested_by=STAFF_ID), uow=uow, clock=FrozenClock(T0))

    assert isinstance(result, Err)
    assert isinstance(result.error, IllegalOrderTransitionError)


def test_a_too_long_reason_is_a_validation_error_on_reason():
    uow = orders_uow([existing()])

    result = cancel_order(
        CancelOrder(order_id=ORDER_ID, requested_by=CUSTOMER_ID, reason="x" * 501),
        uow=uow,
        clock=FrozenClock(T0),
    )

    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    assert list(result.error.errors) == ["reason"]


# --- ShipOrder, MarkOrderPaid, MarkOrderRefunded ----------------------------------------------------------------


def test_shipping_a_paid_order_records_order_shipped_and_an_unpaid_one_is_refused():
    paid = orders_uow([existing(OrderStatus.PAID, invoice_id=INVOICE_ID)])
    unpaid = orders_uow([existing()])
    command = ShipOrder(order_id=ORDER_ID, shipped_by=STAFF_ID)

    shipped = ship_order(command, uow=paid, clock=FrozenClock(T0))
    refused = ship_order(command, uow=unpaid, clock=FrozenClock(T0))

    assert isinstance(shipped, Ok)
    assert [type(event) for event in shipped.value.pending_events] == [OrderShipped]
    assert isinstance(refused, Err)
    assert isinstance(refused.error, IllegalOrderTransitionError)


def test_mark_order_paid_is_idempotent_for_the_same_invoice():
    uow = orders_uow([existing()])
    command = MarkOrderPaid(order_id=ORDER_ID, invoice_id=INVOICE_ID)

    first = mark_order_paid(command, uow=uow, clock=FrozenClock(T0))
    uow.commit()
    again = mark_order_paid(command, uow=uow, clock=FrozenClock(T0 + timedelta(minutes=5)))
    uow.commit()

    assert isinstance(first, Ok)
    assert isinstance(again, Ok)
    assert [type(event) for event in uow.published] == [OrderPaid]
    assert uow.orders.rows[ORDER_ID].paid_at == T0


def test_mark_order_paid_on_a_cancelled_order_is_refused_as_a_business_rule():
    uow = orders_uow([existing(OrderStatus.CANCELLED)])

    result = mark_order_paid(MarkOrderPaid(order_id=ORDER_ID, invoice_id=INVOICE_ID), uow=uow, clock=FrozenClock(T0))

    assert isinstance(result, Err)
    assert isinstance(result.error, IllegalOrderTransitionError)


def test_mark_order_refunded_is_idempotent_and_checks_the_invoice():
    uow = orders_uow([existing(OrderStatus.PAID, invoice_id=INVOICE_ID)])

    mismatch = mark_order_refunded(
        MarkOrderRefunded(order_id=ORDER_ID, invoice_id=UUID(int=9)), uow=uow, clock=FrozenClock(T0)
    )
    first = mark_order_refunded(
        MarkOrderRefunded(order_id=ORDER_ID, invoice_id=INVOICE_ID), uow=uow, clock=FrozenClock(T0)
    )
    uow.commit()
    again = mark_order_refunded(
        MarkOrderRefunded(order_id=ORDER_ID, invoice_id=INVOICE_ID), uow=uow, clock=FrozenClock(T0)
    )
    uow.commit()

    assert isinstance(mismatch, Err)
    assert isinstance(mismatch.error, InvoiceMismatchError)
    assert isinstance(first, Ok)
    assert isinstance(again, Ok)
    assert [type(event) for event in uow.published] == [OrderRefunded]


@pytest.mark.parametrize(
    "handle",
    [
        lambda uow: cancel_order(CancelOrder(order_id=ORDER_ID, requested_by=STAFF_ID), uow=uow, clock=FrozenClock(T0)),
        lambda uow: ship_order(ShipOrder(order_id=ORDER_ID, shipped_by=STAFF_ID), uow=uow, clock=FrozenClock(T0)),
        lambda uow: mark_order_paid(
            MarkOrderPaid(order_id=ORDER_ID, invoice_id=INVOICE_ID), uow=uow, clock=FrozenClock(T0)
        ),
        lambda uow: mark_order_refunded(
            MarkOrderRefunded(order_id=ORDER_ID, invoice_id=INVOICE_ID), uow=uow, clock=FrozenClock(T0)
        ),
    ],
)
def test_an_unknown_order_is_not_found(handle):
    result = handle(orders_uow())

    assert isinstance(result, Err)
    assert isinstance(result.error, OrderNotFoundError)
