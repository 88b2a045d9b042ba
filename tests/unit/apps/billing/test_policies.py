"""billing-policies: which command each orders event becomes, and what a refusal does."""

import uuid
from decimal import Decimal

import pytest
import structlog

from apps.billing import policies
from apps.platform.policies import PolicyFailedError
from domain.billing.commands import IssueInvoice, VoidInvoice
from domain.billing.errors import InvoiceNotFoundError, InvoiceNotOpenError
from domain.kernel.result import Err, Ok

ORDER_ID = uuid.UUID("cccccccc-0000-4000-8000-000000000001")
CUSTOMER_ID = uuid.UUID("dddddddd-0000-4000-8000-000000000001")


def envelope(event_type, payload):
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "payload": payload}


PLACED = envelope(
    "orders.order_placed",
    {
        "order_id": str(ORDER_ID),
        "customer_id": str(CUSTOMER_ID),
        "customer_email": "ann@example.com",
        "currency": "EUR",
        "total": "42.50",
        "item_count": 2,
        "lines": [],
    },
)
CANCELLED = envelope(
    "orders.order_cancelled",
    {"order_id": str(ORDER_ID), "customer_id": str(CUSTOMER_ID), "reason": "changed my mind", "cancelled_by": "x"},
)
CANCELLED_WITHOUT_REASON = envelope(
    "orders.order_cancelled",
    {"order_id": str(ORDER_ID), "customer_id": str(CUSTOMER_ID), "reason": "", "cancelled_by": "x"},
)


def test_the_consumer_binds_to_placed_and_cancelled_orders():
    assert policies.CONSUMER_NAME == "billing-policies"
    assert policies.BINDING_KEYS == ("orders.order_placed", "orders.order_cancelled")


@pytest.mark.parametrize(
    ("event", "command"),
    [
        (PLACED, IssueInvoice(order_id=ORDER_ID, customer_id=CUSTOMER_ID, amount=Decimal("42.50"), currency="EUR")),
        (CANCELLED, VoidInvoice(order_id=ORDER_ID, reason="changed my mind")),
        (CANCELLED_WITHOUT_REASON, VoidInvoice(order_id=ORDER_ID, reason="The order was cancelled.")),
    ],
    ids=["placed", "cancelled", "cancelled-without-a-reason"],
)
def test_each_orders_event_dispatches_its_billing_command(event, command):
    dispatched = []

    policies.react(event, dispatch=lambda c: dispatched.append(c) or Ok(None))

    assert dispatched == [command]


def test_a_business_rule_refusal_is_logged_and_the_event_consumed():
    with structlog.testing.capture_logs() as logs:
        policies.react(CANCELLED, dispatch=lambda c: Err(InvoiceNotOpenError("A paid invoice cannot be voided.")))

    (warning,) = [log for log in logs if log["log_level"] == "warning"]
    assert warning["event_id"] == CANCELLED["event_id"]
    assert warning["reason"] == "A paid invoice cannot be voided."


def test_any_other_error_is_raised_so_the_consumer_retries():
    with pytest.raises(PolicyFailedError, match="VoidInvoice"):
        policies.react(CANCELLED, dispatch=lambda c: Err(InvoiceNotFoundError("This order has no invoice.")))


def test_other_events_dispatch_nothing():
    dispatched = []

    policies.react(envelope("orders.order_shipped", {"order_id": str(ORDER_ID)}), dispatch=dispatched.append)

    assert dispatched == []
