"""orders_read and the orders policies on PostgreSQL and RabbitMQ: events through the real outbox and broker.

Billing's events are written to the outbox here in the shape the contract between
the contexts gives them, so this runs whether or not the billing context is wired.
Only the orders consumers are run.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from apps.messaging.consumers import RetryLater
from apps.messaging.inbox import deliver_batch
from apps.messaging.models import InboxEntry
from apps.messaging.registry import consumer_named, projection
from apps.orders import projections
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderReadModel
from apps.outbox import store
from apps.outbox.dispatcher import envelope
from apps.outbox.models import OutboxEntry
from domain.kernel.events import IntegrationEvent
from domain.orders.commands import CancelOrder, OrderItem, PlaceOrder
from tests.support.commands import dispatch
from tests.support.events import deliver_events

ORDERS_READ = projection("orders_read")

CUSTOMER_ID = uuid.UUID("cccccccc-0000-4000-8000-000000000001")


def orders_consumers():
    return (ORDERS_READ.consumer, consumer_named("orders-policies"))


def place(quantity: int = 2, price: str = "12.30"):
    return dispatch(
        PlaceOrder(
            customer_id=CUSTOMER_ID,
            customer_email="ann@example.com",
            currency="EUR",
            items=(OrderItem(sku="BOOK-1", quantity=quantity, unit_price=Decimal(price)),),
        )
    )


class Invoice:
    """Billing's events for one invoice of an order, versions 1, 2, ... in the order they are made."""

    def __init__(self, order: Any) -> None:
        self.id = uuid.uuid4()
        self.order = order
        self.version = 0

    def event(self, step: str, **payload: Any) -> IntegrationEvent:
        self.version += 1
        return IntegrationEvent(
            event_id=uuid.uuid4(),
            event_type=f"billing.{step}",
            event_version=1,
            aggregate_type="billing.invoice",
            aggregate_id=self.id,
            aggregate_version=self.version,
            occurred_at=datetime.now(UTC),
            payload={"invoice_id": str(self.id), "order_id": str(self.order.id), **payload},
        )

    def issued(self) -> IntegrationEvent:
        return self.event(
            "invoice_issued", customer_id=str(CUSTOMER_ID), amount=str(self.order.total.amount), currency="EUR"
        )

    def payment(self, step: str, **extra: Any) -> IntegrationEvent:
        return self.event(
            step,
            payment_id=str(uuid.uuid4()),
            provider_payment_id="pi_123",
            amount=str(self.order.total.amount),
            currency="EUR",
            **extra,
        )

    def refunded(self) -> IntegrationEvent:
        return self.event(
            "invoice_refunded", amount=str(self.order.total.amount), currency="EUR", provider_refund_id="re_1"
        )


def publish(*events: IntegrationEvent) -> None:
    store.append(list(events))
    deliver_events(*orders_consumers())


@pytest.mark.django_db
def test_a_placed_then_cancelled_order_is_shown_by_orders_read():
    order = place()
    deliver_events(*orders_consumers())
    dispatch(CancelOrder(order_id=order.id, requested_by=CUSTOMER_ID, reason="oops"))

    deliver_events(*orders_consumers())

    row = OrderReadModel.objects.get(pk=order.id)
    assert (row.customer_id, row.customer_email, row.status, row.currency) == (
        CUSTOMER_ID,
        "ann@example.com",
        "cancelled",
        "EUR",
    )
    assert (row.total, row.item_count, row.version, row.invoice_version) == (Decimal("24.60"), 2, 2, 0)
    assert row.lines == [{"sku": "BOOK-1", "quantity": 2, "unit_price": "12.30", "line_total": "24.60"}]
    assert row.created_at == row.placed_at == order.placed_at
    assert row.cancelled_at is not None


@pytest.mark.django_db
def test_billings_events_show_the_invoice_and_payments_and_the_policy_pays_then_refunds_the_order():
    order = place()
    deliver_events(*orders_consumers())
    invoice = Invoice(order)

    publish(invoice.issued(), invoice.payment("payment_failed", status="failed", reason="card declined"))
    row = OrderReadModel.objects.get(pk=order.id)
    assert (row.invoice_id, row.invoice_status, row.status, row.invoice_version) == (
        invoice.id,
        "open",
        "pending_payment",
        2,
    )

    publish(invoice.payment("payment_captured"))
    row = OrderReadModel.objects.get(pk=order.id)
    assert (row.invoice_status, row.status, row.version) == ("paid", "paid", 2)  # orders.order_paid came back
    assert [(p["status"], p["reason"], p["amount"], p["currency"]) for p in row.payments] == [
        ("failed", "card declined", "24.60", "EUR"),
        ("captured", "", "24.60", "EUR"),
    ]
    assert OrderRow.objects.get(pk=order.id).invoice_id == invoice.id

    publish(invoice.refunded())
    row = OrderReadModel.objects.get(pk=order.id)
    assert (row.invoice_status, row.status, row.version, row.invoice_version) == ("refunded", "refunded", 3, 4)
    assert row.refunded_at is not None


@pytest.mark.django_db
def test_a_payment_for_a_cancelled_order_is_consumed_without_paying_it():
    order = place()
    dispatch(CancelOrder(order_id=order.id, requested_by=CUSTOMER_ID))
    deliver_events(*orders_consumers())
    invoice = Invoice(order)

    publish(invoice.issued(), invoice.payment("payment_captured"))

    row = OrderReadModel.objects.get(pk=order.id)
    assert (row.status, row.invoice_status) == ("cancelled", "paid")
    assert OrderRow.objects.get(pk=order.id).status == "cancelled"
    assert not OutboxEntry.objects.filter(aggregate_id=order.id, event_type="orders.order_paid").exists()


@pytest.mark.django_db
def test_a_billing_event_before_its_order_row_or_after_a_gap_must_wait():
    order = place()
    invoice = Invoice(order)
    issued, captured = invoice.issued(), invoice.payment("payment_captured")
    store.append([issued, captured])
    issued_envelope = envelope(OutboxEntry.objects.get(pk=issued.event_id))
    captured_envelope = envelope(OutboxEntry.objects.get(pk=captured.event_id))
    placed_envelope = envelope(OutboxEntry.objects.get(aggregate_id=order.id))

    with pytest.raises(RetryLater):
        projections.project(issued_envelope)  # orders.order_placed has not arrived yet
    projections.project(placed_envelope)
    with pytest.raises(RetryLater):
        projections.project(captured_envelope)  # invoice version 2 before version 1
    projections.project(issued_envelope)
    projections.project(captured_envelope)
    projections.project(issued_envelope)  # a late duplicate changes nothing

    row = OrderReadModel.objects.get(pk=order.id)
    assert (row.invoice_status, row.invoice_version, len(row.payments)) == ("paid", 2, 1)


@pytest.mark.django_db
def test_rebuilding_orders_read_from_the_history_gives_the_same_rows():
    first, second = place(), place(quantity=1, price="99.99")
    dispatch(CancelOrder(order_id=second.id, requested_by=CUSTOMER_ID))
    invoice = Invoice(first)
    publish(invoice.issued(), invoice.payment("payment_captured"))
    ids = [first.id, second.id]
    before = list(OrderReadModel.objects.filter(pk__in=ids).order_by("id").values())

    call_command("rebuild_read_models", "--projection", "orders_read", stdout=StringIO())

    assert list(OrderReadModel.objects.filter(pk__in=ids).order_by("id").values()) == before
    assert {row["id"]: row["status"] for row in before} == {first.id: "paid", second.id: "cancelled"}


@pytest.mark.django_db
def test_one_shuffled_batch_with_duplicates_applies_what_it_can_and_the_rest_on_redelivery():
    first, second = place(), place(quantity=1, price="5.00")
    dispatch(CancelOrder(order_id=second.id, requested_by=CUSTOMER_ID))
    invoice = Invoice(first)
    billing = [invoice.issued(), invoice.payment("payment_failed", status="rejected", reason="amount mismatch")]
    store.append(billing)
    entries = OutboxEntry.objects.filter(aggregate_id__in=[first.id, second.id, invoice.id])
    envelopes = [envelope(entry) for entry in entries]
    cancelled = next(item for item in envelopes if item["event_type"] == "orders.order_cancelled")
    failed = next(item for item in envelopes if item["event_type"] == "billing.payment_failed")
    rest = [item for item in envelopes if item not in (cancelled, failed)]

    waiting = deliver_batch(ORDERS_READ.consumer, [failed, cancelled, *rest, failed])
    again = deliver_batch(ORDERS_READ.consumer, [failed, cancelled])

    assert waiting == {}
    assert again == {}
    rows = OrderReadModel.objects.in_bulk([first.id, second.id])
    assert (rows[first.id].status, rows[first.id].invoice_status, rows[first.id].invoice_version) == (
        "pending_payment",
        "open",
        2,
    )
    assert [(p["status"], p["reason"]) for p in rows[first.id].payments] == [("rejected", "amount mismatch")]
    assert (rows[second.id].status, rows[second.id].version) == ("cancelled", 2)
    assert InboxEntry.objects.filter(consumer=ORDERS_READ.consumer.name, event_id=failed["event_id"]).count() == 1


@pytest.mark.django_db
def test_a_batch_event_whose_predecessor_is_missing_waits_and_leaves_no_inbox_row():
    order = place()
    dispatch(CancelOrder(order_id=order.id, requested_by=CUSTOMER_ID))
    placed, cancelled = (
        envelope(entry) for entry in OutboxEntry.objects.filter(aggregate_id=order.id).order_by("aggregate_version")
    )

    waiting = deliver_batch(ORDERS_READ.consumer, [cancelled])
    assert list(waiting) == [0]
    assert not InboxEntry.objects.filter(consumer=ORDERS_READ.consumer.name, event_id=cancelled["event_id"]).exists()

    assert deliver_batch(ORDERS_READ.consumer, [cancelled, placed]) == {}
    assert OrderReadModel.objects.get(pk=order.id).status == "cancelled"
