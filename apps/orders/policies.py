"""Orders' reactions to billing: a captured payment pays the order, a refunded invoice refunds it.

Runs in the ``orders-policies`` consumer, inside the transaction that records the
event in the inbox, so a redelivered event has no second effect; the handlers are
idempotent as well. A business-rule refusal (the order was cancelled before its
payment arrived, say) is logged and the event consumed: retrying cannot change the
answer. Anything else is raised, so the consumer retries and then dead-letters it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import structlog

from domain.kernel.errors import BusinessRuleViolationError
from domain.kernel.messages import Command
from domain.kernel.result import Err, Result
from domain.orders.commands import MarkOrderPaid, MarkOrderRefunded

log = structlog.get_logger(__name__)

CONSUMER_NAME = "orders-policies"
BINDING_KEYS = ("billing.payment_captured", "billing.invoice_refunded")


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
        case "billing.payment_captured":
            return MarkOrderPaid(order_id=UUID(str(payload["order_id"])), invoice_id=UUID(str(payload["invoice_id"])))
        case "billing.invoice_refunded":
            return MarkOrderRefunded(
                order_id=UUID(str(payload["order_id"])), invoice_id=UUID(str(payload["invoice_id"]))
            )
    return None
