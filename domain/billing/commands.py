"""What callers can ask of the billing context."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from domain.kernel.messages import Command


@dataclass(frozen=True)
class IssueInvoice(Command):
    """Bill an order; issuing for an order that already has an invoice changes nothing."""

    order_id: UUID
    customer_id: UUID
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class VoidInvoice(Command):
    order_id: UUID
    reason: str


@dataclass(frozen=True)
class CapturePayment(Command):
    """The provider captured ``amount`` for the invoice (a payment_intent.succeeded webhook)."""

    invoice_id: UUID
    provider_payment_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class RecordPaymentFailure(Command):
    """The provider could not take a payment for the invoice (payment_intent.payment_failed)."""

    invoice_id: UUID
    provider_payment_id: str
    amount: Decimal
    currency: str
    reason: str


@dataclass(frozen=True)
class RefundInvoice(Command):
    """Staff give the customer's money back through the payment provider.

    Not one transaction: the provider is called between reading the invoice and
    recording the refund (``RecordProviderRefund``), with no transaction open.
    """

    transactional: ClassVar[bool] = False

    invoice_id: UUID
    requested_by: UUID
    reason: str


@dataclass(frozen=True)
class RecordProviderRefund(Command):
    """The provider refunded the invoice's payment (a charge.refunded webhook, or a staff refund it granted)."""

    invoice_id: UUID
    provider_refund_id: str
    amount: Decimal
    currency: str
    reason: str = ""
