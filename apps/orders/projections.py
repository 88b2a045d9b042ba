"""The ``orders_read`` projection: the orders events, plus what billing tells about each order's invoice.

Two version guards keep any delivery order, with any duplicates, ending in the
state of the full history:

* ``orders.*`` events apply when they are exactly the next version of their order
  (``version``); older or repeated ones are ignored, a gap raises ``RetryLater``.
* ``billing.*`` events (aggregate: the invoice) apply when they are exactly the
  next version of the order's invoice (``invoice_version``), the same way. A billing
  event for an order whose row does not exist yet (its ``orders.order_placed`` is
  still on the way) raises ``RetryLater`` too.

An order has one invoice; events of any other invoice naming the order are
ignored (logged), so a stray invoice cannot overwrite the one the order shows.

``project_batch`` applies many events with one locking read and one write (new
and changed rows together), which is what lets one consumer keep up with the outbox;
``project`` is the same rule for a single event. Every row written is
invalidated in the read cache, with its new revision (ADR-0009).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog

from apps.messaging.consumers import RetryLater
from apps.orders.models import OrderReadModel
from apps.orders.queries import ORDERS
from apps.platform import caching
from apps.platform.listing import PAGES
from apps.platform.responses import RENDERS
from apps.platform.upserts import upsert

log = structlog.get_logger(__name__)

BINDING_KEYS = ("orders.#", "billing.#")

UPDATED_FIELDS = (
    "status",
    "invoice_id",
    "invoice_status",
    "payments",
    "paid_at",
    "shipped_at",
    "cancelled_at",
    "refunded_at",
    "version",
    "invoice_version",
)

#: The status of the invoice after each billing event that changes it.
INVOICE_STATUS_AFTER = {
    "billing.invoice_issued": "open",
    "billing.payment_captured": "paid",
    "billing.invoice_voided": "void",
    "billing.invoice_refunded": "refunded",
}


def project(envelope: Mapping[str, Any]) -> None:
    waiting = project_batch([envelope])
    if waiting:
        raise RetryLater(waiting[0])


def project_batch(envelopes: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Apply what can be applied; return the positions that must wait, with the reason.

    One locking read for every order the batch touches, then one write of the new
    and changed rows. Orders events go first (an order placed in this batch can take its
    invoice's events in the same batch), each stream in version order.
    """
    order_ids = {_order_id(envelope) for envelope in envelopes}
    rows = {str(row.id): row for row in OrderReadModel.objects.select_for_update().filter(pk__in=order_ids)}
    created: set[str] = set()
    changed: set[str] = set()
    waiting: dict[int, str] = {}
    for position in sorted(range(len(envelopes)), key=lambda i: _stream_position(envelopes[i])):
        envelope = envelopes[position]
        event_type = str(envelope["event_type"])
        if event_type.startswith("orders."):
            reason = _apply_order_event(rows, created, envelope)
        elif event_type.startswith("billing."):
            reason = _apply_billing_event(rows, envelope)
        else:
            continue
        if reason:
            waiting[position] = reason
        elif _order_id(envelope) in rows and _order_id(envelope) not in created:
            changed.add(_order_id(envelope))
    upsert(OrderReadModel, [rows[order_id] for order_id in (*created, *changed)], UPDATED_FIELDS)
    _forget_cached({order_id: rows[order_id] for order_id in created | changed})
    return waiting


def rows_of(history: Iterable[Mapping[str, Any]]) -> list[OrderReadModel]:
    """The rows a complete history leaves in an empty ``orders_read``, computed in memory (no database).

    The same rules as ``project_batch``, for loading data in bulk: an event that would
    have to wait (a gap, a billing event before its order) is a ValueError here.
    """
    rows: dict[str, OrderReadModel] = {}
    created: set[str] = set()
    for envelope in history:
        event_type = str(envelope["event_type"])
        if event_type.startswith("orders."):
            reason = _apply_order_event(rows, created, envelope)
        elif event_type.startswith("billing."):
            reason = _apply_billing_event(rows, envelope)
        else:
            continue
        if reason:
            raise ValueError(reason)
    return list(rows.values())


def reset() -> None:
    OrderReadModel.objects.all().delete()
    caching.invalidate_all(ORDERS)
    caching.invalidate_all(PAGES)
    caching.invalidate_all(RENDERS)  # the same revisions come back: their rendered bodies must not


def _forget_cached(written: Mapping[str, OrderReadModel]) -> None:
    """Every process forgets the rows written (no older revision is served again) and the pages of orders."""
    if written:
        caching.invalidate(ORDERS, {order_id: row.version + row.invoice_version for order_id, row in written.items()})
        caching.invalidate_all(PAGES)


def _order_id(envelope: Mapping[str, Any]) -> str:
    if str(envelope["event_type"]).startswith("orders."):
        return str(envelope["aggregate_id"])
    return str(envelope["payload"]["order_id"])


def _stream_position(envelope: Mapping[str, Any]) -> tuple[int, str, str, int]:
    billing = 0 if str(envelope["event_type"]).startswith("orders.") else 1
    return (billing, _order_id(envelope), str(envelope["aggregate_id"]), int(envelope["aggregate_version"]))


def _apply_order_event(rows: dict[str, OrderReadModel], created: set[str], envelope: Mapping[str, Any]) -> str | None:
    """Apply one orders event to its row (creating it for OrderPlaced); the reason it must wait, if it must."""
    order_id = str(envelope["aggregate_id"])
    version = int(envelope["aggregate_version"])
    row = rows.get(order_id)
    current = row.version if row else 0
    if version <= current:
        return None
    if version != current + 1:
        return f"orders_read {order_id} is at version {current}; event {version} must wait"
    if row is None:
        if envelope["event_type"] != "orders.order_placed":
            return f"orders_read has no row for {order_id} yet"
        rows[order_id] = _placed(envelope)
        created.add(order_id)
        return None
    at = datetime.fromisoformat(envelope["occurred_at"])
    payload = envelope["payload"]
    match envelope["event_type"]:
        case "orders.order_cancelled":
            row.status, row.cancelled_at = "cancelled", at
        case "orders.order_paid":
            row.status, row.paid_at = "paid", at
            row.invoice_id = row.invoice_id or UUID(str(payload["invoice_id"]))
        case "orders.order_shipped":
            row.status, row.shipped_at = "shipped", at
        case "orders.order_refunded":
            row.status, row.refunded_at = "refunded", at
    row.version = version  # events this projection does not show still move it on
    return None


def _placed(envelope: Mapping[str, Any]) -> OrderReadModel:
    payload = envelope["payload"]
    at = datetime.fromisoformat(envelope["occurred_at"])
    return OrderReadModel(
        id=envelope["aggregate_id"],
        customer_id=payload["customer_id"],
        customer_email=payload["customer_email"],
        status="pending_payment",
        currency=payload["currency"],
        total=Decimal(payload["total"]),
        item_count=int(payload["item_count"]),
        lines=[
            {
                "sku": line["sku"],
                "quantity": int(line["quantity"]),
                "unit_price": line["unit_price"],
                "line_total": line["line_total"],
            }
            for line in payload["lines"]
        ],
        payments=[],
        placed_at=at,
        created_at=at,
        version=int(envelope["aggregate_version"]),
        invoice_version=0,
    )


def _apply_billing_event(rows: dict[str, OrderReadModel], envelope: Mapping[str, Any]) -> str | None:
    """Apply one billing event to its order's row; the reason it must wait, if it must."""
    order_id = _order_id(envelope)
    invoice_id = UUID(str(envelope["aggregate_id"]))
    version = int(envelope["aggregate_version"])
    row = rows.get(order_id)
    if row is None:
        return f"orders_read has no row for order {order_id} yet"
    if row.invoice_id is not None and row.invoice_id != invoice_id:
        log.warning(
            "billing event of another invoice than the order's ignored",
            event_id=envelope["event_id"],
            order_id=order_id,
            invoice_id=str(invoice_id),
        )
        return None
    current = row.invoice_version
    if version <= current:
        return None
    if version != current + 1:
        return f"orders_read {order_id}: invoice {invoice_id} is at version {current}; event {version} must wait"
    event_type = envelope["event_type"]
    row.invoice_id = invoice_id
    if event_type in INVOICE_STATUS_AFTER:
        row.invoice_status = INVOICE_STATUS_AFTER[event_type]
    if event_type in ("billing.payment_captured", "billing.payment_failed"):
        row.payments = [*row.payments, _payment(envelope)]
    row.invoice_version = version
    return None


def _payment(envelope: Mapping[str, Any]) -> dict[str, Any]:
    payload = envelope["payload"]
    captured = envelope["event_type"] == "billing.payment_captured"
    return {
        "payment_id": str(payload["payment_id"]),
        "provider_payment_id": payload.get("provider_payment_id") or "",
        "amount": str(payload["amount"]),
        "currency": payload["currency"],
        "status": "captured" if captured else payload.get("status", "failed"),
        "reason": "" if captured else payload.get("reason", ""),
        "at": envelope["occurred_at"],
    }
