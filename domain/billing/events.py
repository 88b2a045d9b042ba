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
class InvoiceEvent(DomainEvent):
    """What every fact about an invoice carries: the invoice and the order it bills."""

    invoice_id: UUID
    order_id: UUID


@dataclass(frozen=True, kw_only=True)
class PaymentEvent(InvoiceEvent):
    """What every fact about a payment the provider reported for an invoice carries."""

    payment_id: UUID
    provider_payment_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class InvoiceIssued(InvoiceEvent):
    event_type = "billing.invoice_issued"

    customer_id: UUID
    amount: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class PaymentCaptured(PaymentEvent):
    event_type = "billing.payment_captured"


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(PaymentEvent):
    """A payment that did not pay the invoice: ``status`` is "failed" (the provider said so) or
    "rejected" (its amount or currency does not match the invoice, or the invoice is not open)."""

    event_type = "billing.payment_failed"

    status: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class InvoiceVoided(InvoiceEvent):
    event_type = "billing.invoice_voided"

    reason: str


@dataclass(frozen=True, kw_only=True)
class InvoiceRefunded(InvoiceEvent):
    event_type = "billing.invoice_refunded"

    amount: Decimal
    currency: str
    provider_refund_id: str
