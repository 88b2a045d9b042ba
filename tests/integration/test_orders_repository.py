"""DjangoOrderRepository on PostgreSQL: what is saved is what comes back, and a stale write is refused."""

import threading
import uuid
from decimal import Decimal

import pytest

from apps.composition.buses import unit_of_work
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderLine as OrderLineRow
from apps.outbox.models import OutboxEntry
from apps.platform.buses import command_bus
from apps.platform.unit_of_work import UnitOfWorkMiddleware, current_unit_of_work
from domain.kernel.bus import CommandBus
from domain.kernel.errors import ConflictError
from domain.kernel.money import Money
from domain.kernel.ports import SystemClock
from domain.kernel.result import Err, Ok
from domain.orders.commands import CancelOrder, MarkOrderPaid, OrderItem, PlaceOrder, ShipOrder
from domain.orders.errors import IllegalOrderTransitionError
from domain.orders.model import OrderStatus
from tests.integration.threads import in_thread
from tests.support.commands import dispatch

CUSTOMER_ID = uuid.UUID("cccccccc-0000-4000-8000-000000000001")
STAFF_ID = uuid.UUID("cccccccc-0000-4000-8000-0000000000ad")


def place(*items: OrderItem, currency: str = "EUR"):
    return dispatch(
        PlaceOrder(
            customer_id=CUSTOMER_ID,
            customer_email="ann@example.com",
            currency=currency,
            items=items or (OrderItem(sku="BOOK-1", quantity=2, unit_price=Decimal("12.30")),),
        )
    )


@pytest.mark.django_db
def test_a_saved_order_loads_back_equal_in_every_field():
    placed = place(
        OrderItem(sku="kwd-1", quantity=3, unit_price=Decimal("1.235")),
        OrderItem(sku="KWD-2", quantity=1, unit_price=Decimal("1000")),
        currency="KWD",
    )
    invoice_id = uuid.uuid4()
    dispatch(MarkOrderPaid(order_id=placed.id, invoice_id=invoice_id))
    dispatch(ShipOrder(order_id=placed.id, shipped_by=STAFF_ID))

    with unit_of_work() as uow:
        loaded = uow.orders.get(placed.id)

    assert loaded.status is OrderStatus.SHIPPED
    assert loaded.version == 3  # placed, paid, shipped
    assert loaded.pending_events == ()
    assert (loaded.customer_id, loaded.customer_email, loaded.currency) == (CUSTOMER_ID, "ann@example.com", "KWD")
    assert [(line.sku.value, line.quantity.value, line.unit_price) for line in loaded.lines] == [
        ("KWD-1", 3, Money(Decimal("1.235"), "KWD")),
        ("KWD-2", 1, Money(Decimal("1000.000"), "KWD")),
    ]
    assert loaded.total == Money(Decimal("1003.705"), "KWD")
    assert loaded.invoice_id == invoice_id
    assert loaded.placed_at == placed.placed_at
    assert loaded.paid_at is not None
    assert loaded.shipped_at is not None
    assert list(OrderLineRow.objects.filter(order_id=placed.id).values_list("position", flat=True)) == [0, 1]
    events = OutboxEntry.objects.filter(aggregate_id=placed.id).order_by("aggregate_version")
    assert [(e.event_type, e.aggregate_version) for e in events] == [
        ("orders.order_placed", 1),
        ("orders.order_paid", 2),
        ("orders.order_shipped", 3),
    ]
    assert events[0].payload["total"] == "1003.705"
    assert events[0].payload["lines"][0] == {
        "sku": "KWD-1",
        "quantity": 3,
        "unit_price": "1.235",
        "line_total": "3.705",
    }


@pytest.mark.django_db
def test_an_unknown_id_is_none():
    with unit_of_work() as uow:
        assert uow.orders.get(uuid.uuid4()) is None


@pytest.mark.django_db
def test_saving_an_order_loaded_before_someone_else_changed_it_is_a_conflict():
    order = place()
    with unit_of_work() as uow:
        stale = uow.orders.get(order.id)
        dispatch(CancelOrder(order_id=order.id, requested_by=STAFF_ID))  # commits version 2 meanwhile
        assert stale.mark_paid(invoice_id=uuid.uuid4(), now=SystemClock().now()) == Ok(None)

        with pytest.raises(ConflictError):
            uow.orders.flush()

        # Still inside the transaction the cancellation committed its savepoint in: the newer state stands.
        row = OrderRow.objects.get(pk=order.id)
        assert (row.status, row.version, row.invoice_id) == ("cancelled", 2, None)


def stale_payment_race(order_id, *, attempts: int):
    """Run MarkOrderPaid that loads the order, lets a CancelOrder commit, then saves."""
    loaded, other_committed = threading.Event(), threading.Event()
    calls, outcome = [], {}

    def slow_payment(cmd):
        order = current_unit_of_work().orders.get(cmd.order_id)
        calls.append(order.version)
        loaded.set()
        other_committed.wait(timeout=10)
        paid = order.mark_paid(invoice_id=cmd.invoice_id, now=SystemClock().now())
        return paid if isinstance(paid, Err) else Ok(order)

    slow_bus = CommandBus()
    slow_bus.add_middleware(UnitOfWorkMiddleware(unit_of_work, attempts=attempts))
    slow_bus.register(MarkOrderPaid, slow_payment)
    thread = in_thread(
        lambda: outcome.update(slow=slow_bus.dispatch(MarkOrderPaid(order_id=order_id, invoice_id=uuid.uuid4())))
    )
    assert loaded.wait(timeout=10)
    cancelled = command_bus().dispatch(CancelOrder(order_id=order_id, requested_by=STAFF_ID))
    assert isinstance(cancelled, Ok)
    other_committed.set()
    thread.join(timeout=10)
    return outcome["slow"], calls


@pytest.mark.django_db(transaction=True)
def test_a_payment_racing_a_cancellation_is_retried_on_fresh_state_and_refused_there():
    order = place()

    result, loaded_versions = stale_payment_race(order.id, attempts=2)

    assert loaded_versions == [1, 2]  # the retry saw the cancellation
    assert isinstance(result, Err)
    assert isinstance(result.error, IllegalOrderTransitionError)
    row = OrderRow.objects.get(pk=order.id)
    assert (row.status, row.version) == ("cancelled", 2)
    assert list(
        OutboxEntry.objects.filter(aggregate_id=order.id)
        .values_list("event_type", flat=True)
        .order_by("aggregate_version")
    ) == ["orders.order_placed", "orders.order_cancelled"]


@pytest.mark.django_db(transaction=True)
def test_a_payment_racing_a_cancellation_without_retries_is_a_conflict_and_the_cancellation_survives():
    order = place()

    result, _ = stale_payment_race(order.id, attempts=1)

    assert isinstance(result, Err)
    assert isinstance(result.error, ConflictError)
    row = OrderRow.objects.get(pk=order.id)
    assert (row.status, row.version, row.paid_at) == ("cancelled", 2, None)
