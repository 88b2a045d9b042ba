"""Command handlers of the billing context.

Each takes its command plus keyword-only ports and returns ``Ok(invoice)`` or an
``Err`` with a domain or application error. None commits: the unit-of-work
middleware commits on ``Ok`` and rolls back on ``Err``. Every handler is safe
to run twice with the same command: policies and webhooks may deliver again.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.billing import commands
from domain.billing.errors import InvoiceNotFoundError, PaymentProviderError
from domain.billing.model import Invoice, InvoiceStatus, reason_text
from domain.billing.ports import BillingUnitOfWork, PaymentProvider
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.ids import IdFactory
from domain.kernel.messages import Command
from domain.kernel.money import Money
from domain.kernel.ports import Clock
from domain.kernel.result import Err, Ok, Result, attempt

InvoiceResult = Result[Invoice, DomainError | ValidationError]


def issue_invoice(cmd: commands.IssueInvoice, *, uow: BillingUnitOfWork, clock: Clock, ids: IdFactory) -> InvoiceResult:
    """Open the invoice of an order; for an order that already has one, answer it and record nothing.

    Err: ``ValidationError`` (amount, currency).
    """
    money = attempt(lambda: Money(cmd.amount, cmd.currency))
    if isinstance(money, Err):
        return money
    existing = uow.invoices.get_by_order(cmd.order_id)
    if existing is not None:
        return Ok(existing)
    invoice = attempt(
        lambda: Invoice.issue(
            id=ids.new(), order_id=cmd.order_id, customer_id=cmd.customer_id, amount=money.value, now=clock.now()
        )
    )
    if isinstance(invoice, Err):
        return invoice
    uow.invoices.add(invoice.value)
    return invoice


def void_invoice(cmd: commands.VoidInvoice, *, uow: BillingUnitOfWork, clock: Clock) -> InvoiceResult:
    """Void the invoice of a cancelled order.

    Err: ``ValidationError`` (reason), ``InvoiceNotFoundError`` (the order has no invoice),
    ``InvoiceNotOpenError`` (it is paid or refunded). Already void: Ok, nothing recorded.
    """
    invoice = uow.invoices.get_by_order(cmd.order_id)
    if invoice is None:
        return Err(InvoiceNotFoundError("This order has no invoice."))
    voided = attempt(lambda: invoice.void(reason=cmd.reason, now=clock.now()))
    if isinstance(voided, Err):
        return voided
    if isinstance(voided.value, Err):
        return voided.value
    return Ok(invoice)


def capture_payment(
    cmd: commands.CapturePayment, *, uow: BillingUnitOfWork, clock: Clock, ids: IdFactory
) -> InvoiceResult:
    """Record a captured payment: it pays the invoice, or is recorded as rejected (the invoice unchanged).

    Err: ``ValidationError`` (amount, currency, provider payment id), ``InvoiceNotFoundError``.
    """
    found = _invoice_and_money(uow, cmd.invoice_id, cmd.amount, cmd.currency)
    if isinstance(found, Err):
        return found
    invoice, money = found.value
    captured = attempt(
        lambda: invoice.capture(
            payment_id=ids.new(), provider_payment_id=cmd.provider_payment_id, amount=money, now=clock.now()
        )
    )
    if isinstance(captured, Err):
        return captured
    return Ok(invoice)


def record_payment_failure(
    cmd: commands.RecordPaymentFailure, *, uow: BillingUnitOfWork, clock: Clock, ids: IdFactory
) -> InvoiceResult:
    """Record the provider's report of a failed payment.

    Err: ``ValidationError`` (amount, currency, provider payment id, reason), ``InvoiceNotFoundError``.
    """
    found = _invoice_and_money(uow, cmd.invoice_id, cmd.amount, cmd.currency)
    if isinstance(found, Err):
        return found
    invoice, money = found.value
    recorded = attempt(
        lambda: invoice.record_failure(
            payment_id=ids.new(),
            provider_payment_id=cmd.provider_payment_id,
            amount=money,
            reason=cmd.reason,
            now=clock.now(),
        )
    )
    if isinstance(recorded, Err):
        return recorded
    return Ok(invoice)


def refund_invoice(
    cmd: commands.RefundInvoice,
    *,
    load: Callable[[UUID], Invoice | None],
    provider: PaymentProvider,
    dispatch: Callable[[Command], Result[Any, Exception]],
) -> Result[Any, Exception]:
    """Give the money of a paid invoice back through the payment provider, then record the refund.

    Three steps, and no database transaction is open during the provider call:

    1. read the invoice (``load``) and check that it can be refunded;
    2. ask the provider, with the invoice id as idempotency key, so a retry never refunds twice;
    3. record the refund in a unit of work of its own (``RecordProviderRefund``), which
       is ``Ok`` when the invoice is refunded already (the provider's ``charge.refunded``
       webhook may have won the race).

    If step 3 fails after the provider refunded (the database went away, say), the
    invoice stays paid until the provider's webhook records the refund or staff retry
    (the provider answers a retry from its idempotency record).

    Err: ``ValidationError`` (reason), ``InvoiceNotFoundError``, ``InvoiceNotPaidError``, ``PaymentProviderError``
    (``PaymentProviderUnavailableError`` when it could not be reached).
    """
    reason = attempt(lambda: reason_text(cmd.reason))
    if isinstance(reason, Err):
        return reason
    invoice = load(cmd.invoice_id)
    if invoice is None:
        return Err(InvoiceNotFoundError("No invoice has this id."))
    if invoice.status is InvoiceStatus.REFUNDED:
        return Ok(invoice)
    payable = invoice.can_be_refunded()
    if isinstance(payable, Err):
        return payable
    try:
        refund_id = provider.refund(
            provider_payment_id=payable.value.provider_payment_id,
            amount=invoice.amount,
            idempotency_key=str(invoice.id),
        )
    except PaymentProviderError as exc:
        return Err(exc)
    return dispatch(
        commands.RecordProviderRefund(
            invoice_id=invoice.id,
            provider_refund_id=refund_id,
            amount=invoice.amount.amount,
            currency=invoice.amount.currency,
            reason=reason.value,
        )
    )


def record_provider_refund(
    cmd: commands.RecordProviderRefund, *, uow: BillingUnitOfWork, clock: Clock
) -> InvoiceResult:
    """Record a refund made at the provider; an already refunded invoice records nothing.

    Err: ``ValidationError`` (amount, currency, refund id), ``InvoiceNotFoundError``,
    ``InvoiceNotPaidError``, ``PartialRefundError``.
    """
    found = _invoice_and_money(uow, cmd.invoice_id, cmd.amount, cmd.currency)
    if isinstance(found, Err):
        return found
    invoice, money = found.value
    refunded = attempt(
        lambda: invoice.refund(
            provider_refund_id=cmd.provider_refund_id,
            amount=money,
            now=clock.now(),
            reason=cmd.reason or "Refunded at the payment provider.",
        )
    )
    if isinstance(refunded, Err):
        return refunded
    if isinstance(refunded.value, Err):
        return refunded.value
    return Ok(invoice)


def _invoice_and_money(
    uow: BillingUnitOfWork, invoice_id: UUID, amount: Decimal, currency: str
) -> Result[tuple[Invoice, Money], ValidationError | InvoiceNotFoundError]:
    """The invoice a provider's report is about, and the amount it reports (checked first)."""
    money = attempt(lambda: Money(amount, currency))
    if isinstance(money, Err):
        return money
    invoice = uow.invoices.get(invoice_id)
    if invoice is None:
        return Err(InvoiceNotFoundError("No invoice has this id."))
    return Ok((invoice, money.value))
