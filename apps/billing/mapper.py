"""Between the ``invoices`` and ``payments`` rows and the Invoice aggregate; nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apps.billing.models import Invoice as InvoiceRow
from apps.billing.models import Payment as PaymentRow
from domain.billing.model import Invoice, InvoiceStatus, Payment, PaymentStatus
from domain.kernel.money import Money


def to_domain(row: InvoiceRow, payment_rows: Iterable[PaymentRow]) -> Invoice:
    return Invoice(
        id=row.id,
        order_id=row.order_id,
        customer_id=row.customer_id,
        amount=Money(row.amount, row.currency),
        status=InvoiceStatus(row.status),
        issued_at=row.issued_at,
        payments=[payment_to_domain(payment) for payment in sorted(payment_rows, key=lambda p: p.position)],
        paid_at=row.paid_at,
        voided_at=row.voided_at,
        void_reason=row.void_reason,
        refunded_at=row.refunded_at,
        refund_reason=row.refund_reason,
        provider_refund_id=row.provider_refund_id,
        version=row.version,
    )


def payment_to_domain(row: PaymentRow) -> Payment:
    return Payment(
        id=row.id,
        provider_payment_id=row.provider_payment_id,
        amount=Money(row.amount, row.currency),
        status=PaymentStatus(row.status),
        reason=row.reason,
        at=row.recorded_at,
    )


def to_row_fields(invoice: Invoice) -> dict[str, Any]:
    """The columns of ``invoices`` (all of them the aggregate's)."""
    return {
        "order_id": invoice.order_id,
        "customer_id": invoice.customer_id,
        "amount": invoice.amount.amount,
        "currency": invoice.amount.currency,
        "status": invoice.status.value,
        "issued_at": invoice.issued_at,
        "paid_at": invoice.paid_at,
        "voided_at": invoice.voided_at,
        "void_reason": invoice.void_reason,
        "refunded_at": invoice.refunded_at,
        "refund_reason": invoice.refund_reason,
        "provider_refund_id": invoice.provider_refund_id,
        "version": invoice.version,
    }


def to_row(invoice: Invoice) -> InvoiceRow:
    return InvoiceRow(id=invoice.id, **to_row_fields(invoice))


def payment_rows(invoice: Invoice) -> list[PaymentRow]:
    """Every payment of ``invoice`` as a row, numbered in the order it was recorded."""
    return [
        PaymentRow(
            id=payment.id,
            invoice_id=invoice.id,
            position=position,
            provider_payment_id=payment.provider_payment_id,
            amount=payment.amount.amount,
            currency=payment.amount.currency,
            status=payment.status.value,
            reason=payment.reason,
            recorded_at=payment.at,
        )
        for position, payment in enumerate(invoice.payments, start=1)
    ]
