"""The read side of the billing context: queries, their DTOs and handlers.

Handlers read the ``invoices_read`` table (kept up to date by the projection in
``projections.py``) as plain values and return DTOs; they never build aggregates.
Who may see which invoice is the authorization middleware's decision, on the
rules in ``wiring.py``: the ``scope`` both handlers are called with. One
invoice is read through the read cache (``INVOICES``, invalidated by the projection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from apps.billing.models import InvoiceReadModel
from apps.platform.caching import CachePolicy, cached_query
from apps.platform.listing import Scope, list_rows
from domain.billing.errors import InvoiceNotFoundError
from domain.billing.model import Invoice
from domain.kernel.errors import ValidationError
from domain.kernel.messages import Query
from domain.kernel.money import Money
from domain.kernel.result import Err, Ok, Result

FIELDS = (
    "id",
    "order_id",
    "customer_id",
    "status",
    "amount",
    "currency",
    "payments",
    "issued_at",
    "paid_at",
    "voided_at",
    "refunded_at",
    "created_at",
    "version",
)
STATUSES = ("open", "paid", "void", "refunded")
#: ``ordering`` values a list accepts; the id breaks ties, so pages never overlap.
ORDERINGS = {"-created_at": ("-created_at", "-id"), "created_at": ("created_at", "id")}


@dataclass(frozen=True)
class GetInvoice(Query):
    """One invoice, if the caller may see it: the handler checks the ``scope`` the authorization middleware decided."""

    invoice_id: UUID


@dataclass(frozen=True)
class ListInvoices(Query):
    """Invoices filtered and ordered; which ones the caller may see is the handler's ``scope`` argument."""

    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    ordering: str = "-created_at"


@dataclass(frozen=True)
class PaymentDTO:
    id: UUID
    provider_payment_id: str
    amount: Decimal
    currency: str
    status: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class InvoiceDTO:
    id: UUID
    order_id: UUID
    customer_id: UUID
    status: str
    amount: Decimal
    currency: str
    payments: tuple[PaymentDTO, ...]
    issued_at: datetime
    paid_at: datetime | None
    voided_at: datetime | None
    refunded_at: datetime | None
    revision: int = 0
    """The read row's version: grows with every change, what caches compare."""


#: One invoice's read row, shared by every process (L2) and invalidated by the projection, version by version.
INVOICES = CachePolicy("invoices", ttl=60, revision=lambda dto: dto.revision)


def invoice_dto(invoice: Invoice) -> InvoiceDTO:
    """The write side answers from the aggregate it just changed, in the read side's shape."""
    return InvoiceDTO(
        id=invoice.id,
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
        status=invoice.status.value,
        amount=invoice.amount.amount,
        currency=invoice.currency,
        payments=tuple(
            PaymentDTO(
                id=payment.id,
                provider_payment_id=payment.provider_payment_id,
                amount=payment.amount.amount,
                currency=payment.amount.currency,
                status=payment.status.value,
                reason=payment.reason,
                at=payment.at,
            )
            for payment in invoice.payments
        ),
        issued_at=invoice.issued_at,
        paid_at=invoice.paid_at,
        voided_at=invoice.voided_at,
        refunded_at=invoice.refunded_at,
    )


def invoice_dto_from_row(row: dict[str, Any]) -> InvoiceDTO:
    """A DTO from an ``invoices_read`` row read with ``values(*FIELDS)``; amounts to the currency's minor unit."""
    return InvoiceDTO(
        id=row["id"],
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        status=row["status"],
        amount=Money(Decimal(row["amount"]), row["currency"]).amount,
        currency=row["currency"],
        payments=tuple(
            PaymentDTO(
                id=UUID(payment["payment_id"]),
                provider_payment_id=payment["provider_payment_id"],
                amount=Decimal(payment["amount"]),
                currency=payment["currency"],
                status=payment["status"],
                reason=payment["reason"],
                at=datetime.fromisoformat(payment["at"]),
            )
            for payment in row["payments"]
        ),
        issued_at=row["issued_at"],
        paid_at=row["paid_at"],
        voided_at=row["voided_at"],
        refunded_at=row["refunded_at"],
        revision=row["version"],
    )


def get_invoice(query: GetInvoice, *, scope: Scope) -> Result[InvoiceDTO, InvoiceNotFoundError]:
    """The invoice if ``scope`` admits it. Err: ``InvoiceNotFoundError`` for an unknown invoice, one not
    projected yet, and one the caller may not see, alike."""
    invoice = read_invoice(query.invoice_id)
    if invoice is None or not scope.admits(invoice.id, invoice.customer_id):
        return Err(InvoiceNotFoundError("No invoice has this id."))
    return Ok(invoice)


@cached_query(INVOICES)
def read_invoice(invoice_id: UUID) -> InvoiceDTO | None:
    """One ``invoices_read`` row as a DTO (one query on a miss); None when there is none."""
    row = InvoiceReadModel.objects.filter(pk=invoice_id).values(*FIELDS).first()
    return None if row is None else invoice_dto_from_row(row)


def list_invoices(
    query: ListInvoices, *, scope: Scope
) -> Result[QuerySet[InvoiceReadModel, dict[str, Any]], ValidationError]:
    """The invoices in ``scope`` (decided by the authorization middleware) as ``values(*FIELDS)`` rows.

    Err: ``ValidationError`` (an unknown status or ordering, a range that ends before it starts).
    """
    return list_rows(
        InvoiceReadModel.objects.all(), query, scope=scope, statuses=STATUSES, orderings=ORDERINGS, columns=FIELDS
    )
