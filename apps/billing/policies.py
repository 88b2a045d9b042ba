"""Billing's reactions to orders: a placed order is invoiced, a cancelled order's invoice is voided.

How they run (and what a refusal means): ``apps.platform.policies``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from apps.platform.policies import Dispatch, run_policy
from domain.billing.commands import IssueInvoice, VoidInvoice
from domain.kernel.messages import Command

CONSUMER_NAME = "billing-policies"
BINDING_KEYS = ("orders.order_placed", "orders.order_cancelled")


def react(envelope: Mapping[str, Any], *, dispatch: Dispatch) -> None:
    run_policy(envelope, _command_for(envelope), dispatch)


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
