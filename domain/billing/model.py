"""The Invoice aggregate and the payments recorded against it.

An invoice bills one order, for the order's total, in the order's currency.
Its life: ``open`` until a matching payment is captured (``paid``) or the order
is cancelled (``void``); a paid invoice can be ``refunded``. ``void`` and
``refunded`` are final.

Every payment the provider reports is kept, whatever became of it: a capture
that pays the invoice is ``captured``; one whose amount or currency does not
match, or that arrives when the invoice is no longer open, is ``rejected`` (the
money must then be returned by hand); a provider's failure report is
``failed``. The provider may report the same payment more than once; a report
already recorded changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from domain.billing.errors import InvoiceNotOpenError, InvoiceNotPaidError, PartialRefundError
from domain.billing.events import InvoiceIssued, InvoiceRefunded, InvoiceVoided, PaymentCaptured, PaymentFailed
from domain.kernel.aggregate import AggregateRoot
from domain.kernel.entity import Entity
from domain.kernel.errors import DomainError, InvalidValueError
from domain.kernel.money import Money
from domain.kernel.result import Err, Ok, Result

MAX_REASON = 500
MAX_PROVIDER_ID = 255


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    REFUNDED = "refunded"

    @property
    def is_final(self) -> bool:
        return self in (InvoiceStatus.VOID, InvoiceStatus.REFUNDED)


class PaymentStatus(StrEnum):
    CAPTURED = "captured"
    FAILED = "failed"
    REJECTED = "rejected"


def reason_text(reason: str, *, field: str = "reason") -> str:
    """``reason`` trimmed; InvalidValueError when empty or longer than ``MAX_REASON``."""
    text = reason.strip()
    if not text:
        raise InvalidValueError(field, "Give a reason.")
    if len(text) > MAX_REASON:
        raise InvalidValueError(field, f"A reason has at most {MAX_REASON} characters.")
    return text


def provider_id(value: str, *, field: str) -> str:
    """An identifier given by the payment provider (``pi_...``, ``re_...``): 1-255 printable characters."""
    text = value.strip()
    if not text or len(text) > MAX_PROVIDER_ID or not text.isprintable():
        raise InvalidValueError(field, f"A provider id is 1 to {MAX_PROVIDER_ID} printable characters.")
    return text


class Payment(Entity[UUID]):
    """One payment the provider reported for an invoice; never changes once recorded."""

    __slots__ = ("amount", "at", "provider_payment_id", "reason", "status")

    def __init__(
        self, *, id: UUID, provider_payment_id: str, amount: Money, status: PaymentStatus, reason: str, at: datetime
    ) -> None:
        super().__init__(id=id)
        self.provider_payment_id = provider_payment_id
        self.amount = amount
        self.status = status
        self.reason = reason
        self.at = at


class Invoice(AggregateRoot[UUID]):
    """What a customer owes for one order, and what became of it."""

    __slots__ = (
        "amount",
        "customer_id",
        "issued_at",
        "order_id",
        "paid_at",
        "payments",
        "provider_refund_id",
        "refund_reason",
        "refunded_at",
        "status",
        "void_reason",
        "voided_at",
    )

    aggregate_type: ClassVar[str] = "billing.invoice"

    def __init__(
        self,
        *,
        id: UUID,
        order_id: UUID,
        customer_id: UUID,
        amount: Money,
        status: InvoiceStatus,
        issued_at: datetime,
        payments: list[Payment] | None = None,
        paid_at: datetime | None = None,
        voided_at: datetime | None = None,
        void_reason: str = "",
        refunded_at: datetime | None = None,
        refund_reason: str = "",
        provider_refund_id: str = "",
        version: int = 0,
    ) -> None:
        super().__init__(id=id, version=version)
        self.order_id = order_id
        self.customer_id = customer_id
        self.amount = amount
        self.status = status
        self.issued_at = issued_at
        self.payments: list[Payment] = list(payments or [])
        self.paid_at = paid_at
        self.voided_at = voided_at
        self.void_reason = void_reason
        self.refunded_at = refunded_at
        self.refund_reason = refund_reason
        self.provider_refund_id = provider_refund_id

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def captured_payment(self) -> Payment | None:
        """The payment that paid the invoice, if any."""
        return next((p for p in self.payments if p.status is PaymentStatus.CAPTURED), None)

    @classmethod
    def issue(cls, *, id: UUID, order_id: UUID, customer_id: UUID, amount: Money, now: datetime) -> Invoice:
        """An open invoice for ``amount``; InvalidValueError unless the amount is positive."""
        if not amount.is_positive:
            raise InvalidValueError("amount", "An invoice is for an amount greater than zero.")
        invoice = cls(
            id=id, order_id=order_id, customer_id=customer_id, amount=amount, status=InvoiceStatus.OPEN, issued_at=now
        )
        invoice._record(
            InvoiceIssued(
                occurred_at=now,
                invoice_id=id,
                order_id=order_id,
                customer_id=customer_id,
                amount=amount.amount,
                currency=amount.currency,
            )
        )
        return invoice

    def capture(self, *, payment_id: UUID, provider_payment_id: str, amount: Money, now: datetime) -> Payment:
        """Record a captured payment: it pays an open invoice of the same amount and currency, else it is rejected.

        A capture of a provider payment already captured or rejected returns the
        payment recorded then and records nothing.
        """
        provider_payment_id = provider_id(provider_payment_id, field="provider_payment_id")
        for payment in self.payments:
            if payment.provider_payment_id == provider_payment_id and payment.status is not PaymentStatus.FAILED:
                return payment
        if self.status is not InvoiceStatus.OPEN:
            return self._reject(payment_id, provider_payment_id, amount, now, f"The invoice is {self.status}.")
        if amount != self.amount:
            return self._reject(
                payment_id, provider_payment_id, amount, now, f"Paid {amount}, but the invoice is for {self.amount}."
            )
        return self._add_payment(payment_id, provider_payment_id, amount, now, PaymentStatus.CAPTURED, "")

    def record_failure(
        self, *, payment_id: UUID, provider_payment_id: str, amount: Money, reason: str, now: datetime
    ) -> Payment:
        """Record the provider's report of a failed payment; the invoice stays as it is.

        A failure reported again (same provider payment, same reason), or reported
        after that payment was captured, returns the payment recorded then and
        records nothing.
        """
        provider_payment_id = provider_id(provider_payment_id, field="provider_payment_id")
        reason = reason_text(reason)
        for payment in self.payments:
            if payment.provider_payment_id != provider_payment_id:
                continue
            if payment.status is PaymentStatus.CAPTURED or payment.reason == reason:
                return payment
        return self._add_payment(payment_id, provider_payment_id, amount, now, PaymentStatus.FAILED, reason)

    def void(self, *, reason: str, now: datetime) -> Result[None, DomainError]:
        """Cancel an open invoice; voiding a void one records nothing."""
        reason = reason_text(reason)
        if self.status is InvoiceStatus.VOID:
            return Ok(None)
        if self.status is not InvoiceStatus.OPEN:
            return Err(InvoiceNotOpenError(f"A {self.status} invoice cannot be voided."))
        self.status = InvoiceStatus.VOID
        self.voided_at = now
        self.void_reason = reason
        self._record(InvoiceVoided(occurred_at=now, invoice_id=self.id, order_id=self.order_id, reason=reason))
        return Ok(None)

    def can_be_refunded(self) -> Result[Payment, DomainError]:
        """The captured payment to refund; Err(InvoiceNotPaidError) unless the invoice is paid."""
        payment = self.captured_payment
        if self.status is not InvoiceStatus.PAID or payment is None:
            return Err(InvoiceNotPaidError(f"Only a paid invoice can be refunded; this one is {self.status}."))
        return Ok(payment)

    def refund(
        self, *, provider_refund_id: str, amount: Money, now: datetime, reason: str = ""
    ) -> Result[None, DomainError]:
        """Record that the provider refunded the invoice in full; a refunded invoice records nothing again.

        Err: ``InvoiceNotPaidError`` (open or void), ``PartialRefundError`` (less than the invoice amount).
        """
        provider_refund_id = provider_id(provider_refund_id, field="provider_refund_id")
        if self.status is InvoiceStatus.REFUNDED:
            return Ok(None)
        payable = self.can_be_refunded()
        if isinstance(payable, Err):
            return payable
        if amount != self.amount:
            return Err(PartialRefundError(f"Refunded {amount} of {self.amount}: only full refunds are supported."))
        self.status = InvoiceStatus.REFUNDED
        self.refunded_at = now
        self.refund_reason = reason.strip()[:MAX_REASON]
        self.provider_refund_id = provider_refund_id
        self._record(
            InvoiceRefunded(
                occurred_at=now,
                invoice_id=self.id,
                order_id=self.order_id,
                amount=amount.amount,
                currency=amount.currency,
                provider_refund_id=provider_refund_id,
            )
        )
        return Ok(None)

    def _reject(self, payment_id: UUID, provider_payment_id: str, amount: Money, now: datetime, reason: str) -> Payment:
        return self._add_payment(payment_id, provider_payment_id, amount, now, PaymentStatus.REJECTED, reason)

    def _add_payment(
        self,
        payment_id: UUID,
        provider_payment_id: str,
        amount: Money,
        now: datetime,
        status: PaymentStatus,
        reason: str,
    ) -> Payment:
        """Keep a payment the provider reported and record what became of it; a captured one pays the invoice."""
        payment = Payment(
            id=payment_id, provider_payment_id=provider_payment_id, amount=amount, status=status, reason=reason, at=now
        )
        self.payments.append(payment)
        if status is PaymentStatus.CAPTURED:
            self.status = InvoiceStatus.PAID
            self.paid_at = now
            self._record(
                PaymentCaptured(
                    occurred_at=now,
                    invoice_id=self.id,
                    order_id=self.order_id,
                    payment_id=payment_id,
                    provider_payment_id=provider_payment_id,
                    amount=amount.amount,
                    currency=amount.currency,
                )
            )
        else:
            self._record(
                PaymentFailed(
                    occurred_at=now,
                    invoice_id=self.id,
                    order_id=self.order_id,
                    payment_id=payment_id,
                    provider_payment_id=provider_payment_id,
                    amount=amount.amount,
                    currency=amount.currency,
                    status=status.value,
                    reason=reason,
                )
            )
        return payment
