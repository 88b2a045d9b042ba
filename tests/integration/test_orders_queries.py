"""The orders read side: DTOs from the aggregate and from orders_read rows, and the list filters."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderReadModel
from apps.orders.queries import (
    GetOrder,
    ListOrders,
    OrderDTO,
    OrderLineDTO,
    PaymentDTO,
    get_order,
    list_orders,
    order_dto,
    order_dto_from_row,
)
from apps.platform.listing import Scope
from domain.kernel.errors import ValidationError
from domain.kernel.money import Money
from domain.kernel.result import Err, Ok
from domain.orders.errors import OrderNotFoundError
from domain.orders.model import Order, OrderLine, Quantity, Sku

CUSTOMER_ID = UUID(int=7)
OTHER_ID = UUID(int=8)
EVERYTHING = Scope.all()
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_order_dto_shows_the_aggregate_in_the_read_sides_shape():
    order = Order.place(
        id=UUID(int=1),
        customer_id=CUSTOMER_ID,
        customer_email="ann@example.com",
        currency="JPY",
        lines=[OrderLine(sku=Sku("A"), quantity=Quantity(3), unit_price=Money(Decimal(500), "JPY"))],
        now=T0,
    )

    assert order_dto(order) == OrderDTO(
        id=UUID(int=1),
        customer_id=CUSTOMER_ID,
        customer_email="ann@example.com",
        status="pending_payment",
        currency="JPY",
        total=Money(Decimal(1500), "JPY"),
        item_count=3,
        lines=(OrderLineDTO(sku="A", quantity=3, unit_price=Money(500, "JPY"), line_total=Money(1500, "JPY")),),
        invoice_id=None,
        invoice_status="",
        payments=(),
        placed_at=T0,
        paid_at=None,
        shipped_at=None,
        cancelled_at=None,
        refunded_at=None,
        created_at=T0,
    )


def read_row(order_id: int, *, customer_id: UUID = CUSTOMER_ID, **fields) -> OrderReadModel:
    defaults = {
        "customer_email": "ann@example.com",
        "status": "pending_payment",
        "currency": "EUR",
        "total": Decimal("10.00"),
        "item_count": 1,
        "lines": [{"sku": "A", "quantity": 1, "unit_price": "10.00", "line_total": "10.00"}],
        "payments": [],
        "placed_at": T0,
        "created_at": T0,
        "version": 1,
    }
    return OrderReadModel.objects.create(id=UUID(int=order_id), customer_id=customer_id, **(defaults | fields))


@pytest.mark.django_db
def test_get_order_reads_the_row_with_amounts_in_the_currency_and_the_payment_history():
    read_row(
        1,
        total=Decimal("10.5"),
        invoice_id=UUID(int=50),
        invoice_status="paid",
        payments=[
            {
                "payment_id": "p1",
                "provider_payment_id": "pi_1",
                "amount": "10.50",
                "currency": "EUR",
                "status": "captured",
                "reason": "",
                "at": "2026-05-01T12:05:00+00:00",
            }
        ],
    )

    result = get_order(GetOrder(order_id=UUID(int=1)), scope=Scope.all())

    assert isinstance(result, Ok)
    assert result.value.total == Money(Decimal("10.50"), "EUR")
    assert str(result.value.total.amount) == "10.50"
    assert result.value.payments == (
        PaymentDTO(
            payment_id="p1",
            provider_payment_id="pi_1",
            amount=Money(Decimal("10.50"), "EUR"),
            status="captured",
            reason="",
            at=T0 + timedelta(minutes=5),
        ),
    )
    assert (result.value.invoice_id, result.value.invoice_status) == (UUID(int=50), "paid")


@pytest.mark.django_db
def test_get_order_of_an_order_not_in_orders_read_is_not_found():
    read_row(1)

    assert get_order(GetOrder(order_id=UUID(int=2)), scope=Scope.all()) == Err(
        OrderNotFoundError("No order has this id.")
    )


@pytest.mark.django_db
def test_get_order_outside_the_scope_is_not_found_like_an_unknown_one():
    row = read_row(1)

    assert isinstance(get_order(GetOrder(order_id=UUID(int=1)), scope=Scope.owned_by(row.customer_id)), Ok)
    assert get_order(GetOrder(order_id=UUID(int=1)), scope=Scope.owned_by(UUID(int=99))) == Err(
        OrderNotFoundError("No order has this id.")
    )
    assert get_order(GetOrder(order_id=UUID(int=1)), scope=Scope()) == Err(OrderNotFoundError("No order has this id."))


@pytest.mark.django_db
def test_list_orders_filters_by_status_and_time_and_breaks_ties_by_id():
    read_row(1, total=Decimal("5.00"))
    read_row(2, total=Decimal("5.00"), status="paid")
    read_row(3, total=Decimal("1.00"), created_at=T0 + timedelta(days=1))

    def ids(scope=EVERYTHING, **filters):
        result = list_orders(ListOrders(**filters), scope=scope)
        assert isinstance(result, Ok)
        return [row["id"].int for row in result.value]

    assert ids() == [3, 2, 1]
    assert ids(ordering="total") == [3, 1, 2]
    assert ids(ordering="-total") == [2, 1, 3]
    assert ids(ordering="created_at") == [1, 2, 3]
    assert ids(ordering="status") == [2, 1, 3]
    assert ids(status="paid") == [2]
    assert ids(created_from=T0 + timedelta(hours=1)) == [3]
    assert ids(created_to=T0) == [2, 1]
    assert ids(scope=Scope()) == []  # the scope of a list the authorization middleware decided nothing for
    assert ids(scope=Scope.granted_to(OTHER_ID, "orders.view_order", OrderRow)) == []
    assert ids(scope=Scope.owned_by(OTHER_ID)) == []
    assert ids(scope=Scope.owned_by(CUSTOMER_ID)) == [3, 2, 1]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"ordering": "price"}, "ordering"),
        ({"created_from": T0, "created_to": T0 - timedelta(seconds=1)}, "created_to"),
    ],
)
def test_list_orders_refuses_unknown_values_naming_the_parameter(filters, field):
    result = list_orders(ListOrders(**filters), scope=Scope.all())

    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    assert list(result.error.errors) == [field]


def test_an_order_row_becomes_a_dto_with_each_line_in_the_order_currency():
    row = {
        "id": UUID(int=1),
        "customer_id": CUSTOMER_ID,
        "customer_email": "a@example.com",
        "status": "paid",
        "currency": "KWD",
        "total": Decimal("3.7050"),
        "item_count": 3,
        "lines": [{"sku": "A", "quantity": 3, "unit_price": "1.235", "line_total": "3.705"}],
        "invoice_id": None,
        "invoice_status": "",
        "payments": [],
        "placed_at": T0,
        "paid_at": T0,
        "shipped_at": None,
        "cancelled_at": None,
        "refunded_at": None,
        "created_at": T0,
        "version": 3,
        "invoice_version": 2,
    }

    dto = order_dto_from_row(row)

    assert dto.revision == 5  # the order's version and its invoice's: what the caches compare
    assert str(dto.total.amount) == "3.705"
    assert dto.lines == (
        OrderLineDTO(
            sku="A", quantity=3, unit_price=Money(Decimal("1.235"), "KWD"), line_total=Money(Decimal("3.705"), "KWD")
        ),
    )
