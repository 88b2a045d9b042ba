"""Billing end to end on the real services: orders events through RabbitMQ to invoices, signed
webhooks on PostgreSQL (also when the provider sends one twice at the same time), invoices_read."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from celery import current_app
from django.test import Client
from django_celery_beat.models import PeriodicTask

from apps.billing.models import Invoice as InvoiceRow
from apps.billing.models import InvoiceReadModel, WebhookEvent
from apps.billing.models import Payment as PaymentRow
from apps.messaging.inbox import deliver
from apps.messaging.registry import consumer_named, projection
from apps.outbox import store
from apps.outbox.dispatcher import envelope
from apps.outbox.models import OutboxEntry
from domain.billing.commands import IssueInvoice
from domain.kernel.events import IntegrationEvent
from tests.integration.threads import in_thread
from tests.support.commands import dispatch
from tests.support.events import deliver_events

INVOICES_READ = projection("invoices_read")

SECRET = "whsec_integration"
BILLING_POLICIES = consumer_named("billing-policies")


def orders_event(event_type: str, order_id: uuid.UUID, version: int, payload: dict) -> IntegrationEvent:
    """An orders integration event as the orders context publishes it (the contract's envelope)."""
    return IntegrationEvent(
        event_id=uuid.uuid4(),
        event_type=event_type,
        event_version=1,
        aggregate_type="orders.order",
        aggregate_id=order_id,
        aggregate_version=version,
        occurred_at=datetime.now(UTC),
        payload=payload,
    )


def signed_post(client: Client, body: bytes):
    at = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/webhooks/payments",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={at},v1={mac}",
    )


def succeeded(invoice_id: uuid.UUID, event_id: str) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": "pi_int_1",
                    "amount": 1999,
                    "currency": "usd",
                    "metadata": {"invoice_id": str(invoice_id)},
                }
            },
        }
    ).encode()


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.PAYMENT_WEBHOOK_SECRETS = [SECRET]


@pytest.mark.django_db(transaction=True)
def test_a_placed_order_is_invoiced_once_and_its_cancellation_voids_the_invoice():
    order_id, customer_id = uuid.uuid4(), uuid.uuid4()
    placed = orders_event(
        "orders.order_placed",
        order_id,
        1,
        {
            "order_id": str(order_id),
            "customer_id": str(customer_id),
            "customer_email": "ann@example.com",
            "currency": "USD",
            "total": "19.99",
            "item_count": 1,
            "lines": [{"sku": "SKU-1", "quantity": 1, "unit_price": "19.99", "line_total": "19.99"}],
        },
    )
    store.append([placed])
    deliver_events(BILLING_POLICIES, INVOICES_READ.consumer)
    # The same fact delivered again under another event id (so the inbox cannot tell): IssueInvoice ignores it.
    again = json.loads(json.dumps(envelope(OutboxEntry.objects.get(pk=placed.event_id))))
    assert deliver(BILLING_POLICIES, {**again, "event_id": str(uuid.uuid4())}) is True

    invoice = InvoiceReadModel.objects.get(order_id=order_id)
    assert (invoice.status, invoice.amount, invoice.currency, invoice.customer_id) == (
        "open",
        Decimal("19.99"),
        "USD",
        customer_id,
    )
    assert InvoiceRow.objects.filter(order_id=order_id).count() == 1
    assert OutboxEntry.objects.filter(event_type="billing.invoice_issued", payload__order_id=str(order_id)).count() == 1

    cancelled = orders_event(
        "orders.order_cancelled",
        order_id,
        2,
        {"order_id": str(order_id), "customer_id": str(customer_id), "reason": "changed my mind", "cancelled_by": "x"},
    )
    store.append([cancelled])
    deliver_events(BILLING_POLICIES, INVOICES_READ.consumer)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.version) == ("void", 2)


@pytest.mark.django_db(transaction=True)
def test_a_signed_webhook_pays_the_invoice_and_invoices_read_follows():
    invoice = dispatch(IssueInvoice(uuid.uuid4(), uuid.uuid4(), Decimal("19.99"), "USD"))

    response = signed_post(Client(), succeeded(invoice.id, "evt_int_1"))
    deliver_events(INVOICES_READ.consumer)

    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    read = InvoiceReadModel.objects.get(pk=invoice.id)
    assert (read.status, read.version) == ("paid", 2)
    assert read.payments[0]["provider_payment_id"] == "pi_int_1"


@pytest.mark.django_db(transaction=True)
def test_the_same_event_sent_twice_at_once_is_stored_once_and_acted_on_once():
    invoice = dispatch(IssueInvoice(uuid.uuid4(), uuid.uuid4(), Decimal("19.99"), "USD"))
    body = succeeded(invoice.id, "evt_int_twice")
    start = threading.Barrier(4, timeout=10)
    statuses: list[int] = []

    def send() -> None:
        client = Client()
        start.wait()
        statuses.append(signed_post(client, body).status_code)

    threads = [in_thread(send) for _ in range(4)]
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200, 200, 200, 200]
    assert WebhookEvent.objects.filter(provider_event_id="evt_int_twice").count() == 1
    assert WebhookEvent.objects.get(provider_event_id="evt_int_twice").status == "processed"
    assert PaymentRow.objects.filter(invoice_id=invoice.id).count() == 1
    assert InvoiceRow.objects.get(pk=invoice.id).version == 2


@pytest.mark.django_db
def test_beat_processes_received_webhooks_every_minute():
    task = PeriodicTask.objects.get(name="billing: process received payment webhooks")

    assert task.task == "billing.process_webhook_events"
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "minutes", True)
    current_app.loader.import_default_modules()  # what a worker does when it starts: autodiscover the tasks
    assert "billing.process_webhook_events" in current_app.tasks
