"""Orders and billing together, through HTTP only: the contexts meet through their events and nothing else.

A customer places an order; billing invoices it (policy on ``orders.order_placed``); the
payment provider's signed webhook pays the invoice; orders marks the order paid (policy on
``billing.payment_captured``); staff ship it. Cancelling voids the invoice; a staff refund
of the invoice refunds the order. Runs on SQLite with the in-memory broker, and again on
PostgreSQL and RabbitMQ in the integration run.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest

from apps.billing.models import Payment as PaymentRow
from apps.billing.models import WebhookEvent
from tests.support.events import deliver_events
from tests.support.http import bearer, make_staff, register, tokens

pytestmark = pytest.mark.django_db

SECRET = "whsec_order_to_cash"
WEBHOOK = "/api/v1/webhooks/payments"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.PAYMENT_WEBHOOK_SECRETS = [SECRET]


@pytest.fixture
def customer(api) -> dict[str, str]:
    register(api, "grace@example.com", display_name="Grace")
    return bearer(tokens(api, "grace@example.com"))


@pytest.fixture
def staff(api) -> dict[str, str]:
    user = register(api, "ops@example.com", display_name="Ops")
    make_staff(user["id"])
    return bearer(tokens(api, "ops@example.com"))


def place(api, auth, *items: tuple[str, int, str], currency: str = "EUR") -> dict[str, Any]:
    body = {"currency": currency, "items": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in items]}
    response = api.post("/api/v2/orders", body, format="json", **auth)
    assert response.status_code == 201, response.content
    deliver_events()
    return response.json()


def order(api, auth, order_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v2/orders/{order_id}", **auth)
    assert response.status_code == 200, response.content
    return response.json()


def invoice(api, auth, invoice_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v2/invoices/{invoice_id}", **auth)
    assert response.status_code == 200, response.content
    return response.json()


def pay(api, invoice_id: str, amount_minor: int, currency: str, *, event_id: str | None = None) -> Any:
    """What the provider sends when the customer has paid: signed here with hmac, not with our verifier's code."""
    body = json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": f"pi_{uuid.uuid4().hex[:24]}",
                    "object": "payment_intent",
                    "amount": amount_minor,
                    "amount_received": amount_minor,
                    "currency": currency.lower(),
                    "status": "succeeded",
                    "metadata": {"invoice_id": invoice_id},
                }
            },
        }
    ).encode()
    at = int(time.time())
    signature = hmac.new(SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    response = api.post(
        WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=f"t={at},v1={signature}"
    )
    deliver_events()
    return response


def test_an_order_is_invoiced_paid_through_the_webhook_and_shipped(api, customer, staff):
    placed = place(api, customer, ("BOOK-DDD", 2, "39.90"), ("MUG-1", 1, "12.50"))

    assert placed["status"] == "pending_payment"
    assert placed["total"] == {"amount": "92.30", "currency": "EUR"}
    invoiced = order(api, customer, placed["id"])
    assert invoiced["invoice_status"] == "open"
    bill = invoice(api, customer, invoiced["invoice_id"])
    assert (bill["order_id"], bill["status"], bill["amount"]) == (
        placed["id"],
        "open",
        {"amount": "92.30", "currency": "EUR"},
    )

    paid = pay(api, bill["id"], 9230, "EUR", event_id="evt_order_to_cash_1")

    assert paid.status_code == 200, paid.content
    after_payment = order(api, customer, placed["id"])
    assert (after_payment["status"], after_payment["invoice_status"]) == ("paid", "paid")
    assert after_payment["paid_at"] is not None
    assert [(p["status"], p["amount"]) for p in after_payment["payments"]] == [
        ("captured", {"amount": "92.30", "currency": "EUR"})
    ]
    assert invoice(api, customer, bill["id"])["status"] == "paid"

    # The provider sends the same event again: answered, and nothing happens twice.
    assert pay(api, bill["id"], 9230, "EUR", event_id="evt_order_to_cash_1").status_code == 200
    assert PaymentRow.objects.filter(invoice_id=bill["id"]).count() == 1
    assert WebhookEvent.objects.filter(provider_event_id="evt_order_to_cash_1").count() == 1

    shipped = api.post(f"/api/v2/orders/{placed['id']}/ship", **staff)
    deliver_events()

    assert shipped.status_code == 200, shipped.content
    final = order(api, customer, placed["id"])
    assert (final["status"], final["invoice_status"]) == ("shipped", "paid")
    assert final["shipped_at"] is not None


def test_cancelling_an_order_voids_its_invoice(api, customer):
    placed = place(api, customer, ("HOODIE-L", 1, "49.00"))
    invoice_id = order(api, customer, placed["id"])["invoice_id"]

    cancelled = api.post(
        f"/api/v2/orders/{placed['id']}/cancel", {"reason": "changed my mind"}, format="json", **customer
    )
    deliver_events()

    assert cancelled.status_code == 200, cancelled.content
    assert order(api, customer, placed["id"])["status"] == "cancelled"
    assert order(api, customer, placed["id"])["invoice_status"] == "void"
    assert invoice(api, customer, invoice_id)["status"] == "void"

    # Money that arrives for the void invoice is recorded as rejected; the order stays cancelled.
    assert pay(api, invoice_id, 4900, "EUR").status_code == 200
    assert order(api, customer, placed["id"])["status"] == "cancelled"
    assert [p["status"] for p in invoice(api, customer, invoice_id)["payments"]] == ["rejected"]


def test_a_staff_refund_of_the_invoice_refunds_the_order(api, customer, staff):
    placed = place(api, customer, ("KEYBOARD-TKL", 1, "129.00"), currency="USD")
    invoice_id = order(api, customer, placed["id"])["invoice_id"]
    pay(api, invoice_id, 12900, "USD")

    refunded = api.post(
        f"/api/v2/invoices/{invoice_id}/refund", {"reason": "damaged in transit"}, format="json", **staff
    )
    deliver_events()

    assert refunded.status_code == 200, refunded.content
    assert invoice(api, customer, invoice_id)["status"] == "refunded"
    final = order(api, customer, placed["id"])
    assert (final["status"], final["invoice_status"]) == ("refunded", "refunded")
    assert final["refunded_at"] is not None
    # A shipped or refunded order is final: shipping it now is refused.
    assert api.post(f"/api/v2/orders/{placed['id']}/ship", **staff).status_code == 409


def test_a_payment_of_the_wrong_amount_leaves_the_order_waiting(api, customer):
    placed = place(api, customer, ("STICKERS-10", 3, "4.20"))
    invoice_id = order(api, customer, placed["id"])["invoice_id"]

    pay(api, invoice_id, 100, "EUR")

    assert order(api, customer, placed["id"])["status"] == "pending_payment"
    bill = invoice(api, customer, invoice_id)
    assert bill["status"] == "open"
    assert [p["status"] for p in bill["payments"]] == ["rejected"]


def test_an_order_cancelled_without_a_reason_voids_its_invoice_too(api, customer):
    placed = place(api, customer, ("CABLE-USB-C", 2, "9.99"))
    invoice_id = order(api, customer, placed["id"])["invoice_id"]

    cancelled = api.post(f"/api/v1/orders/{placed['id']}/cancel", **customer)  # no body at all
    deliver_events()

    assert cancelled.status_code == 200, cancelled.content
    assert invoice(api, customer, invoice_id)["status"] == "void"


@pytest.mark.parametrize("path", ["/api/v2/orders", "/api/v2/invoices"])
@pytest.mark.parametrize("position", ["garbage", "2026-13-45T99:00:00", "9" * 400])
def test_a_forged_cursor_is_a_404_problem_not_a_server_error(api, customer, path, position):
    cursor = base64.b64encode(urlencode({"o": "0", "p": position}).encode()).decode()

    response = api.get(path, {"cursor": cursor}, **customer)

    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Invalid cursor"
