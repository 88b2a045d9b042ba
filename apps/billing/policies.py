"""Billing's reactions to orders: a placed order is invoiced, a cancelled order's invoice is voided.

Runs in the ``billing-policies`` consumer, inside the transaction that records the
event in the inbox, so a redelivered event has no second effect; the handlers are
idempotent as well (an order is invoiced once, a void invoice stays void). A
business-rule refusal (the order was cancelled after its invoice was paid, say)
is logged and the event consumed: retrying cannot change the answer. Anything
else is raised, so the consumer retries and then dead-letters it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog

from domain.billing.commands import IssueInvoice, VoidInvoice
from domain.kernel.errors import BusinessRuleViolationError
from domain.kernel.messages import Command
from domain.kernel.result import Err, Result

log = structlog.get_logger(__name__)

CONSUMER_NAME = "billing-policies"
BINDING_KEYS = ("orders.order_placed", "orders.order_cancelled")


class PolicyFailedError(Exception):
    """A command issued by a policy failed for a reason other than a business rule."""


def react(envelope: Mapping[str, Any], *, dispatch: Callable[[Command], Result[Any, Exception]]) -> None:
    command = _command_for(envelope)
    if command is None:
        return
    result = dispatch(command)
    if not isinstance(result, Err):
        return
    if isinstance(result.error, BusinessRuleViolationError):
        log.warning(
            "policy refused by a business rule; event consumed",
            event_id=envelope["event_id"],
            event_type=envelope["event_type"],
            command=type(command).__name__,
            reason=str(result.error),
        )
        return
    failure = f"{type(result.error).__name__}: {result.error}"
    raise PolicyFailedError(f"{type(command).__name__} for event {envelope['event_id']} failed: {failure}")


def _command_for(envelope: Mapping[str, Any]) -> Command | None:
    payload = envelope["payload"]
    match envelope["event_type"]:
        case "orders.order_placed":
            return IssueInvoice(
                order_id=UUID(str(payload["order_id"])),
                customer_id=UUID(str(payload["customer_id"])),
                amount=Decimal(str(payload["total"])),
                currency=str(payload["currency"]),
            )
        case "orders.order_cancelled":
            # A customer may cancel without giving a reason; the invoice still needs one for the books.
            reason = str(payload.get("reason") or "").strip() or "The order was cancelled."
            return VoidInvoice(order_id=UUID(str(payload["order_id"])), reason=reason)
    return None
