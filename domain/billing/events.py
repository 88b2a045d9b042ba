"""Facts of the billing context; each leaves the context through the outbox.

Amounts are ``Decimal`` quantised to the currency's minor unit (they travel as
decimal strings) and currencies upper-case ISO 4217 codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from domain.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class InvoiceIssued(DomainEvent):
    event_type = "billing.invoice_issued"

    invoice_id: UUID
    order_id: UUID
    customer_id: UUID
    amount: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class PaymentCaptured(DomainEvent):
    event_type = "billing.payment_captured"

    invoice_id: UUID
    order_id: UUID
    payment_id: UUID
    provider_payment_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(DomainEvent):
    """A payment that did not pay the invoice: ``status`` is "failed" (the provider said so) or
    "rejected" (its amount or currency does not match the invoice, or the invoice is not open)."""

    event_type = "billing.payment_failed"

    invoice_id: UUID
    order_id: UUID
    payment_id: UUID
    provider_payment_id: str
    amount: Decimal
    currency: str
    status: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class InvoiceVoided(DomainEvent):
    event_type = "billing.invoice_voided"

    invoice_id: UUID
    order_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class InvoiceRefunded(DomainEvent):
    event_type = "billing.invoice_refunded"

    invoice_id: UUID
    order_id: UUID
    amount: Decimal
    currency: str
    provider_refund_id: str
