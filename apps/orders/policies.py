"""Orders' reactions to billing: a captured payment pays the order, a refunded invoice refunds it.

How they run (and what a refusal means): ``apps.platform.policies``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from apps.platform.policies import Dispatch, run_policy
from domain.kernel.messages import Command
from domain.orders.commands import MarkOrderPaid, MarkOrderRefunded

CONSUMER_NAME = "orders-policies"
BINDING_KEYS = ("billing.payment_captured", "billing.invoice_refunded")


def react(envelope: Mapping[str, Any], *, dispatch: Dispatch) -> None:
    run_policy(envelope, _command_for(envelope), dispatch)


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
