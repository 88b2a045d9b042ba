"""Property 7: the orders_read projection ends in the state of the history, however the broker delivers it.

Its events are the orders' own (``orders.*``, guarded by the order's version) and
billing's events about each order's invoice (``billing.*``, guarded by the
invoice's version). Both take the production path: integration event -> outbox
row -> the dispatcher's ``envelope(entry)`` -> JSON -> ``deliver`` (inbox +
projection). Each delivery run happens in a savepoint that is rolled back.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from apps.messaging.registry import projection
from apps.orders.models import OrderReadModel
from domain.kernel.events import IntegrationEvent, to_integration_event
from domain.orders.model import Order
from tests.properties.delivery import (
    assert_one_inbox_row_per_event,
    deliver_in_batches,
    deliver_one_by_one,
    rolled_back,
    write_to_outbox,
)
from tests.properties.orders.test_domain_properties import orders_with_history

ORDERS_READ = projection("orders_read")

BILLING_STEPS = ("payment_failed", "payment_captured", "invoice_voided", "invoice_refunded")


@st.composite
def invoice_histories(draw: st.DrawFn, order: Order, invoice_id: UUID) -> list[IntegrationEvent]:
    """billing.invoice_issued for ``order``, then any billing events of that invoice, versions 1..n,
    shaped as the contract between the contexts says."""
    total, currency = str(order.total.amount), order.currency
    at = order.placed_at
    steps = ["invoice_issued", *draw(st.lists(st.sampled_from(BILLING_STEPS), max_size=4))]
    events = []
    for version, step in enumerate(steps, start=1):
        at += draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
        payload: dict[str, Any] = {"invoice_id": str(invoice_id), "order_id": str(order.id)}
        payment = {"payment_id": str(draw(st.uuids())), "provider_payment_id": draw(st.text(max_size=20))}
        match step:
            case "invoice_issued":
                payload |= {"customer_id": str(order.customer_id), "amount": total, "currency": currency}
            case "payment_captured":
                payload |= {**payment, "amount": total, "currency": currency}
            case "payment_failed":
                status = draw(st.sampled_from(["failed", "rejected"]))
                payload |= {**payment, "amount": total, "currency": currency, "status": status, "reason": "declined"}
            case "invoice_voided":
                payload |= {"reason": draw(st.text(max_size=20))}
            case "invoice_refunded":
                payload |= {"amount": total, "currency": currency, "provider_refund_id": "re_1"}
        events.append(
            IntegrationEvent(
                event_id=draw(st.uuids(version=4)),
                event_type=f"billing.{step}",
                event_version=1,
                aggregate_type="billing.invoice",
                aggregate_id=invoice_id,
                aggregate_version=version,
                occurred_at=at,
                payload=payload,
            )
        )
    return events


@st.composite
def histories_and_deliveries(draw: st.DrawFn) -> tuple[list[Order], list[IntegrationEvent], list[int]]:
    """One to three orders with their histories and their invoices' billing events (in write order),
    and a delivery schedule: positions into those events, each at least once, any order, some repeated."""
    cases = draw(st.lists(orders_with_history(), min_size=1, max_size=3, unique_by=lambda case: case[0].id))
    events: list[IntegrationEvent] = []
    for order, invoice_id in cases:
        events.extend(to_integration_event(recorded) for recorded in order.pending_events)
        events.extend(draw(invoice_histories(order, invoice_id)))
    duplicates = draw(st.lists(st.integers(min_value=0, max_value=len(events) - 1), max_size=len(events)))
    schedule = draw(st.permutations([*range(len(events)), *duplicates]))
    return [order for order, _ in cases], events, schedule


#: What each billing event makes of the invoice's status, as the orders read side shows it (no entry: unchanged).
EXPECTED_INVOICE_STATUS = {
    "billing.invoice_issued": "open",
    "billing.payment_captured": "paid",
    "billing.invoice_voided": "void",
    "billing.invoice_refunded": "refunded",
}
EXPECTED_ORDER_STATUS = {
    "orders.order_cancelled": ("cancelled", "cancelled_at"),
    "orders.order_paid": ("paid", "paid_at"),
    "orders.order_shipped": ("shipped", "shipped_at"),
    "orders.order_refunded": ("refunded", "refunded_at"),
}


def expected_rows(events: list[IntegrationEvent]) -> dict[UUID, dict[str, Any]]:
    """The orders_read rows the events describe, folded in write order straight from the events
    (the model the projection is checked against; it shares no code with it)."""
    rows: dict[UUID, dict[str, Any]] = {}
    for item in events:
        payload = item.payload
        if item.event_type == "orders.order_placed":
            rows[item.aggregate_id] = {
                "id": item.aggregate_id,
                "customer_id": UUID(payload["customer_id"]),
                "customer_email": payload["customer_email"],
                "status": "pending_payment",
                "currency": payload["currency"],
                "total": Decimal(payload["total"]),
                "item_count": payload["item_count"],
                "lines": [
                    {key: line[key] for key in ("sku", "quantity", "unit_price", "line_total")}
                    for line in payload["lines"]
                ],
                "invoice_id": None,
                "invoice_status": "",
                "payments": [],
                "placed_at": item.occurred_at,
                "paid_at": None,
                "shipped_at": None,
                "cancelled_at": None,
                "refunded_at": None,
                "created_at": item.occurred_at,
                "version": item.aggregate_version,
                "invoice_version": 0,
            }
        elif item.event_type.startswith("orders."):
            row = rows[item.aggregate_id]
            row["version"] = item.aggregate_version
            if item.event_type in EXPECTED_ORDER_STATUS:
                row["status"], stamp = EXPECTED_ORDER_STATUS[item.event_type]
                row[stamp] = item.occurred_at
            if item.event_type == "orders.order_paid":
                row["invoice_id"] = UUID(payload["invoice_id"])
        else:
            row = rows[UUID(payload["order_id"])]
            row["invoice_id"] = item.aggregate_id
            row["invoice_version"] = item.aggregate_version
            row["invoice_status"] = EXPECTED_INVOICE_STATUS.get(item.event_type, row["invoice_status"])
            if item.event_type in ("billing.payment_captured", "billing.payment_failed"):
                captured = item.event_type == "billing.payment_captured"
                row["payments"].append(
                    {
                        "payment_id": payload["payment_id"],
                        "provider_payment_id": payload["provider_payment_id"],
                        "amount": payload["amount"],
                        "currency": payload["currency"],
                        "status": "captured" if captured else payload["status"],
                        "reason": "" if captured else payload["reason"],
                        "at": item.occurred_at.isoformat(),
                    }
                )
    return rows


def deliver_all(envelopes: list[dict[str, Any]], schedule: list[int]) -> int:
    """Deliver in schedule order to orders_read; the number of first deliveries."""
    first_deliveries, _ = deliver_one_by_one(ORDERS_READ.consumer, envelopes, schedule)
    return first_deliveries


def snapshot(orders: list[Order]) -> dict[UUID, dict[str, Any]]:
    rows = OrderReadModel.objects.filter(pk__in=[order.id for order in orders]).values()
    return {row["id"]: row for row in rows}


# **Feature: architecture-restructuring-2025, Property 7: Projections Update Read Models from Events**
# **Validates: Requirements 4.2**
@pytest.mark.django_db
@given(histories_and_deliveries())
def test_orders_read_ends_in_the_in_order_state_whatever_the_order_and_duplicates_of_delivery(
    case: tuple[list[Order], list[IntegrationEvent], list[int]],
) -> None:
    """For any histories of one to three orders (OrderPlaced, then any cancel / pay / ship / refund)
    and of their invoices (invoice_issued, then any payment_failed / payment_captured / voided /
    refunded), delivered through deliver() in any order with any duplicates, RetryLater answers
    being redelivered later, each orders_read row ends equal, field for field, to the row that
    in-order delivery leaves, and that row equals, field for field, the row folded straight from
    the events (status and its timestamps, invoice id, status and version, payments, lines), shows
    the order's status, total and version, and the inbox holds exactly one row per event."""
    orders, events, schedule = case

    with rolled_back():
        envelopes = write_to_outbox(events)
        assert deliver_all(envelopes, list(range(len(events)))) == len(events)
        in_order = snapshot(orders)

    with rolled_back():
        envelopes = write_to_outbox(events)
        first_deliveries = deliver_all(envelopes, schedule)
        shuffled = snapshot(orders)
        assert_one_inbox_row_per_event(ORDERS_READ.consumer.name, events)

    event(f"duplicate deliveries: {'some' if len(schedule) > len(events) else 'none'}")
    assert first_deliveries == len(events)
    assert shuffled == in_order
    assert in_order == expected_rows(events)
    for order in orders:
        row = in_order[order.id]
        assert (row["status"], row["version"], row["total"], row["currency"]) == (
            order.status.value,
            order.version,
            order.total.amount,
            order.currency,
        )


# **Feature: architecture-restructuring-2025, Property 7: Projections Update Read Models from Events**
# **Validates: Requirements 4.2**
@pytest.mark.django_db
@given(histories_and_deliveries(), st.integers(min_value=1, max_value=8))
def test_orders_read_ends_in_the_in_order_state_when_events_arrive_in_batches_of_any_size(
    case: tuple[list[Order], list[IntegrationEvent], list[int]], batch_size: int
) -> None:
    """For any histories of orders and their invoices and any delivery schedule (any order, any
    duplicates), delivered in batches of any size through deliver_batch() (the consumer runner's
    fast path), events that must wait being redelivered in a later batch, each orders_read row
    ends equal, field for field, to the row one-by-one in-order delivery leaves, and the inbox
    holds exactly one row per event."""
    orders, events, schedule = case

    with rolled_back():
        envelopes = write_to_outbox(events)
        deliver_all(envelopes, list(range(len(events))))
        in_order = snapshot(orders)

    with rolled_back():
        envelopes = write_to_outbox(events)
        deliver_in_batches(ORDERS_READ.consumer, envelopes, schedule, batch_size)
        batched = snapshot(orders)
        assert_one_inbox_row_per_event(ORDERS_READ.consumer.name, events)

    assert batched == in_order
