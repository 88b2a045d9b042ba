"""Invariants of the Order aggregate and of Money, for any lines, prices and histories.

* the total always equals the sum of quantity x unit price over the lines;
* no transition out of a final status (cancelled, shipped, refunded) ever succeeds;
* money never mixes currencies within an order;
* Money survives its primitive (JSON) form.

The strategies here are shared by the other orders property tests.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.kernel.errors import InvalidValueError
from domain.kernel.money import CURRENCIES, Money, minor_unit
from domain.kernel.result import Err, Ok
from domain.orders.model import FINAL_STATUSES, Order, OrderLine, OrderStatus, Quantity, Sku
from tests.properties.strategies import aware_datetimes, emails

currencies = st.sampled_from(sorted(CURRENCIES))
skus = st.from_regex(r"[A-Z0-9._-]{1,64}", fullmatch=True)
quantities = st.integers(min_value=1, max_value=Quantity.MAX)
ACTIONS = ("cancel", "pay", "ship", "refund")


def prices(currency: str) -> st.SearchStrategy[Money]:
    """Positive prices in ``currency``, up to ten million major units."""
    return st.integers(min_value=1, max_value=10**7 * 10 ** minor_unit(currency)).map(
        lambda units: Money.from_minor_units(units, currency)
    )


def order_lines(currency: str, *, max_size: int = 8) -> st.SearchStrategy[list[OrderLine]]:
    """One to ``max_size`` lines in ``currency``, each for another SKU."""
    return st.lists(skus, min_size=1, max_size=max_size, unique=True).flatmap(
        lambda codes: st.tuples(*(st.tuples(quantities, prices(currency)) for _ in codes)).map(
            lambda parts: [
                OrderLine(sku=Sku(code), quantity=Quantity(quantity), unit_price=price)
                for code, (quantity, price) in zip(codes, parts, strict=True)
            ]
        )
    )


@st.composite
def placed_orders(draw: st.DrawFn) -> Order:
    """A freshly placed order (OrderPlaced pending)."""
    currency = draw(currencies)
    return Order.place(
        id=draw(st.uuids()),
        customer_id=draw(st.uuids()),
        customer_email=draw(emails),
        currency=currency,
        lines=draw(order_lines(currency)),
        now=draw(aware_datetimes.filter(lambda at: at.year < 2190)),
    )


def act(order: Order, action: str, *, by: UUID, invoice_id: UUID, now: Any) -> Any:
    match action:
        case "cancel":
            return order.cancel(reason="", by=by, now=now)
        case "pay":
            return order.mark_paid(invoice_id=invoice_id, now=now)
        case "ship":
            return order.ship(by=by, now=now)
        case _:
            return order.mark_refunded(invoice_id=invoice_id, now=now)


@st.composite
def orders_with_history(draw: st.DrawFn) -> tuple[Order, UUID]:
    """A placed order that then went through a random sequence of attempted changes, all paid
    and refunded with one invoice (returned beside it); refused attempts record nothing."""
    order = draw(placed_orders())
    invoice_id = draw(st.uuids())
    now = order.placed_at
    for action in draw(st.lists(st.sampled_from(ACTIONS), max_size=5)):
        now += draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))
        act(order, action, by=draw(st.uuids()), invoice_id=invoice_id, now=now)
    return order, invoice_id


# An invariant of the orders context (the seed's numbered properties do not cover the Order aggregate).
@given(placed_orders())
def test_an_orders_total_always_equals_the_sum_of_quantity_times_unit_price(order: Order) -> None:
    """For any placed order, total.amount equals the exact sum over the lines of quantity x
    unit price, in the order's currency, and OrderPlaced carries that same total."""
    expected = sum((line.quantity.value * line.unit_price.amount for line in order.lines), Decimal(0))

    assert order.total == Money(expected, order.currency)
    assert order.total.amount == expected
    (placed,) = order.pending_events
    assert placed.total == expected  # type: ignore[attr-defined]
    assert sum(line.line_total for line in placed.lines) == expected  # type: ignore[attr-defined]


def drive_to(order: Order, target: OrderStatus, *, invoice_id: UUID, now: datetime) -> None:
    """Move a not yet final order to a final status by legal steps, ``target`` when it still can."""
    if order.status is OrderStatus.PENDING_PAYMENT:
        if target is OrderStatus.CANCELLED:
            assert order.cancel(reason="", by=UUID(int=0), now=now) == Ok(None)
            return
        assert order.mark_paid(invoice_id=invoice_id, now=now) == Ok(None)
    if order.status is OrderStatus.PAID:
        if target is OrderStatus.SHIPPED:
            assert order.ship(by=UUID(int=0), now=now) == Ok(None)
        else:  # a paid order cannot be cancelled any more; refunding ends it instead
            assert order.mark_refunded(invoice_id=invoice_id, now=now) == Ok(None)


# An invariant of the orders context: final statuses are final.
@given(
    orders_with_history(),
    st.sampled_from(sorted(FINAL_STATUSES)),
    st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=6),
    st.uuids(),
)
def test_no_transition_out_of_a_final_status_ever_succeeds(
    case: tuple[Order, UUID], target: OrderStatus, actions: list[str], stranger_invoice: UUID
) -> None:
    """For any order history that ends in a final status (cancelled, shipped, refunded), every
    later cancel, pay, ship or refund, with the order's own invoice or another, leaves status,
    version and events unchanged; only repeating the refund of its own invoice answers Ok (a
    no-op), every other attempt answers Err."""
    order, invoice_id = case
    now = order.placed_at + timedelta(days=200)
    if not order.status.is_final:
        drive_to(order, target, invoice_id=invoice_id, now=now)
    assert order.status.is_final
    final = (order.status, order.version, len(order.pending_events))
    for position, action in enumerate(actions):
        invoice = invoice_id if position % 2 == 0 else stranger_invoice
        result = act(order, action, by=stranger_invoice, invoice_id=invoice, now=now + timedelta(days=1))
        assert (order.status, order.version, len(order.pending_events)) == final
        if isinstance(result, Ok):
            assert (order.status, action, invoice) == (OrderStatus.REFUNDED, "refund", invoice_id)
        else:
            assert isinstance(result, Err)


# An invariant of the orders context: one currency per order.
@given(placed_orders())
def test_every_amount_of_an_order_is_in_the_order_currency(order: Order) -> None:
    """For any placed order, every unit price, line total and the total are in the order's currency."""
    amounts = [money for line in order.lines for money in (line.unit_price, line.line_total)]

    assert {money.currency for money in [*amounts, order.total]} == {order.currency}


# An invariant of the orders context: one currency per order.
@given(currencies.flatmap(lambda currency: st.tuples(st.just(currency), order_lines(currency))), st.data())
def test_a_line_in_another_currency_is_refused_naming_the_first_such_line(
    case: tuple[str, list[OrderLine]], data: st.DataObject
) -> None:
    """For any lines in one currency where some are re-priced in another currency, placing
    raises InvalidValueError naming items[i].unit_price of the first foreign line."""
    currency, lines = case
    other = data.draw(currencies.filter(lambda code: code != currency))
    foreign = data.draw(st.sets(st.integers(0, len(lines) - 1), min_size=1))
    mixed = [
        OrderLine(sku=line.sku, quantity=line.quantity, unit_price=Money.from_minor_units(1, other))
        if position in foreign
        else line
        for position, line in enumerate(lines)
    ]

    with pytest.raises(InvalidValueError) as caught:
        Order.place(
            id=UUID(int=1),
            customer_id=UUID(int=2),
            customer_email="a@example.com",
            currency=currency,
            lines=mixed,
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    assert caught.value.field == f"items[{min(foreign)}].unit_price"


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(currencies.flatmap(prices) | currencies.flatmap(lambda currency: prices(currency).map(lambda m: m * -1)))
def test_money_survives_its_primitive_form_through_json(money: Money) -> None:
    """For any Money, from_primitive(json round trip of to_primitive()) equals it, and the amount
    string has exactly the currency's number of decimal places."""
    primitive = money.to_primitive()

    assert Money.from_primitive(json.loads(json.dumps(primitive))) == money
    assert primitive["currency"] == money.currency
    decimals = primitive["amount"].partition(".")[2]
    assert len(decimals) == minor_unit(money.currency)
