"""The ``invoices_read`` projection: applies the billing events to the read model, in version order.

Each event is applied exactly when it is the next version of its invoice: an
older or repeated one is ignored (duplicates, redeliveries), a newer one with a
gap before it is sent back (``RetryLater``) until the missing event arrives. So
any delivery order, with any duplicates, ends in the state of the full history.
Every row written is invalidated in the read cache, with its version (ADR-0009).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from apps.billing.models import InvoiceReadModel
from apps.billing.queries import INVOICES
from apps.messaging.consumers import RetryLater
from apps.platform import caching
from apps.platform.listing import PAGES
from apps.platform.responses import RENDERS

BINDING_KEYS = ("billing.#",)
ISSUED = "billing.invoice_issued"


def project(envelope: Mapping[str, Any]) -> None:
    invoice_id = str(envelope["aggregate_id"])
    row = InvoiceReadModel.objects.select_for_update().filter(pk=invoice_id).first()
    if _is_old(row, envelope):
        return
    if row is None:
        _issued(envelope).save(force_insert=True)
    else:
        _apply(row, envelope)
        row.save()
    caching.invalidate(INVOICES, {invoice_id: int(envelope["aggregate_version"])})
    caching.invalidate_all(PAGES)


def rows_of(history: Iterable[Mapping[str, Any]]) -> list[InvoiceReadModel]:
    """The rows a complete history leaves in an empty ``invoices_read``, computed in memory (no database).

    The same rules as ``project``, for loading data in bulk: an event that would have
    to wait is a ValueError here.
    """
    rows: dict[str, InvoiceReadModel] = {}
    for envelope in history:
        invoice_id = str(envelope["aggregate_id"])
        row = rows.get(invoice_id)
        try:
            if _is_old(row, envelope):
                continue
        except RetryLater as exc:
            raise ValueError(str(exc)) from None
        if row is None:
            rows[invoice_id] = _issued(envelope)
        else:
            _apply(row, envelope)
    return list(rows.values())


def _is_old(row: InvoiceReadModel | None, envelope: Mapping[str, Any]) -> bool:
    """Whether ``row`` has seen the event already; RetryLater when an earlier one is missing."""
    invoice_id = str(envelope["aggregate_id"])
    version = int(envelope["aggregate_version"])
    current = row.version if row else 0
    if version <= current:
        return True
    if version != current + 1:
        raise RetryLater(f"invoices_read {invoice_id} is at version {current}; event {version} must wait")
    if row is None and envelope["event_type"] != ISSUED:
        raise RetryLater(f"invoices_read has no row for {invoice_id} yet")
    return False


def _issued(envelope: Mapping[str, Any]) -> InvoiceReadModel:
    payload = envelope["payload"]
    at = datetime.fromisoformat(envelope["occurred_at"])
    return InvoiceReadModel(
        id=envelope["aggregate_id"],
        order_id=payload["order_id"],
        customer_id=payload["customer_id"],
        status="open",
        amount=Decimal(payload["amount"]),
        currency=payload["currency"],
        payments=[],
        issued_at=at,
        created_at=at,
        version=int(envelope["aggregate_version"]),
    )


def _apply(row: InvoiceReadModel, envelope: Mapping[str, Any]) -> None:
    payload = envelope["payload"]
    at = datetime.fromisoformat(envelope["occurred_at"])
    match envelope["event_type"]:
        case "billing.payment_captured":
            row.payments = [*row.payments, _payment(payload, "captured", "", envelope["occurred_at"])]
            row.status = "paid"
            row.paid_at = at
        case "billing.payment_failed":
            row.payments = [
                *row.payments,
                _payment(payload, payload["status"], payload["reason"], envelope["occurred_at"]),
            ]
        case "billing.invoice_voided":
            row.status = "void"
            row.voided_at = at
        case "billing.invoice_refunded":
            row.status = "refunded"
            row.refunded_at = at
    row.version = int(envelope["aggregate_version"])  # events this projection does not show still move it on


def _payment(payload: Mapping[str, Any], status: str, reason: str, at: str) -> dict[str, str]:
    return {
        "payment_id": payload["payment_id"],
        "provider_payment_id": payload["provider_payment_id"],
        "amount": payload["amount"],
        "currency": payload["currency"],
        "status": status,
        "reason": reason,
        "at": at,
    }


def reset() -> None:
    InvoiceReadModel.objects.all().delete()
    caching.invalidate_all(INVOICES)
    caching.invalidate_all(PAGES)
    caching.invalidate_all(RENDERS)  # the same revisions come back: their rendered bodies must not
