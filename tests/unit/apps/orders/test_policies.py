"""The orders policies: which billing events become which orders commands, and what a refusal does."""

import uuid
from typing import Any

import pytest
from structlog.testing import capture_logs

from apps.orders import policies
from apps.platform.policies import PolicyFailedError
from domain.kernel.errors import EntityNotFoundError, ValidationError
from domain.kernel.result import Err, Ok
from domain.orders.commands import MarkOrderPaid, MarkOrderRefunded
from domain.orders.errors import IllegalOrderTransitionError, OrderNotFoundError

ORDER_ID = uuid.UUID(int=1)
INVOICE_ID = uuid.UUID(int=2)


def envelope(event_type: str, **payload: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.UUID(int=99)),
        "event_type": event_type,
        "aggregate_id": str(INVOICE_ID),
        "aggregate_version": 3,
        "payload": {"invoice_id": str(INVOICE_ID), "order_id": str(ORDER_ID), **payload},
    }


class Dispatcher:
    def __init__(self, answer: Any = None) -> None:
        self.answer = answer if answer is not None else Ok(None)
        self.sent: list[Any] = []

    def __call__(self, command: Any) -> Any:
        self.sent.append(command)
        return self.answer


@pytest.mark.parametrize(
    ("event_type", "command"),
    [
        ("billing.payment_captured", MarkOrderPaid(order_id=ORDER_ID, invoice_id=INVOICE_ID)),
        ("billing.invoice_refunded", MarkOrderRefunded(order_id=ORDER_ID, invoice_id=INVOICE_ID)),
    ],
)
def test_a_billing_event_becomes_its_orders_command(event_type, command):
    dispatch = Dispatcher()

    policies.react(envelope(event_type, amount="1.00", currency="EUR"), dispatch=dispatch)

    assert dispatch.sent == [command]


def test_the_policy_binds_exactly_the_events_it_reacts_to():
    assert policies.BINDING_KEYS == ("billing.payment_captured", "billing.invoice_refunded")
    assert policies.CONSUMER_NAME == "orders-policies"


def test_other_events_dispatch_nothing():
    dispatch = Dispatcher()

    policies.react(envelope("billing.invoice_issued"), dispatch=dispatch)

    assert dispatch.sent == []


def test_a_business_rule_refusal_is_logged_with_the_event_id_and_consumed():
    dispatch = Dispatcher(Err(IllegalOrderTransitionError("Order is cancelled and cannot be marked paid.")))

    with capture_logs() as logs:
        policies.react(envelope("billing.payment_captured"), dispatch=dispatch)

    (entry,) = [log for log in logs if log["log_level"] == "warning"]
    assert entry["event_id"] == str(uuid.UUID(int=99))
    assert "cannot be marked paid" in entry["reason"]


@pytest.mark.parametrize(
    "error",
    [OrderNotFoundError("No order has this id."), ValidationError("bad"), EntityNotFoundError("gone")],
)
def test_any_other_refusal_is_raised_so_the_consumer_retries(error):
    with pytest.raises(PolicyFailedError, match=type(error).__name__):
        policies.react(envelope("billing.payment_captured"), dispatch=Dispatcher(Err(error)))
