"""In-memory adapters for the billing ports: handlers run on these in unit and property tests."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.billing.errors import PaymentProviderError
from domain.billing.model import Invoice
from domain.billing.ports import BillingUnitOfWork, InvoiceRepository
from domain.kernel.events import DomainEvent
from domain.kernel.money import Money
from domain.kernel.ports import Repository


class FakeInvoiceRepository(InvoiceRepository):
    """Rows live in ``rows``; new invoices join them only when the unit of work commits."""

    def __init__(self, invoices: list[Invoice] | None = None) -> None:
        super().__init__()
        self.rows: dict[UUID, Invoice] = {invoice.id: invoice for invoice in invoices or []}

    def _add(self, aggregate: Invoice) -> None:
        """Saved on commit, like the Django repository."""

    def _get(self, id: UUID) -> Invoice | None:
        return self.rows.get(id)

    def get_by_order(self, order_id: UUID) -> Invoice | None:
        invoice = next((i for i in [*self.seen.values(), *self.rows.values()] if i.order_id == order_id), None)
        if invoice is not None:
            self.seen.setdefault(invoice.id, invoice)
        return invoice

    def flush(self) -> None:
        self.rows.update(self.seen)

    def forget_seen(self) -> None:
        self.seen.clear()


class FakeBillingUnitOfWork(BillingUnitOfWork):
    def __init__(self, invoices: list[Invoice] | None = None) -> None:
        self.invoices = FakeInvoiceRepository(invoices)
        self.committed = False
        self.published: list[DomainEvent] = []

    def repositories(self) -> tuple[Repository[Any], ...]:
        return (self.invoices,)

    def commit(self) -> None:
        self.invoices.flush()
        self.published.extend(self.collect_events())
        self.invoices.forget_seen()
        self.committed = True

    def rollback(self) -> None:
        """Forget what was not committed; after a commit there is nothing left to undo."""
        self.invoices.forget_seen()


class FakePaymentProvider:
    """Records every refund asked for; answers one refund per idempotency key, like a real provider.

    ``fail_with`` makes every call raise ``PaymentProviderError`` with that message.
    """

    def __init__(self, *, fail_with: str | None = None) -> None:
        self.fail_with = fail_with
        self.calls: list[dict[str, Any]] = []
        self.refunds: dict[str, str] = {}

    def refund(self, *, provider_payment_id: str, amount: Money, idempotency_key: str) -> str:
        self.calls.append(
            {"provider_payment_id": provider_payment_id, "amount": amount, "idempotency_key": idempotency_key}
        )
        if self.fail_with is not None:
            raise PaymentProviderError(self.fail_with)
        return self.refunds.setdefault(idempotency_key, f"re_fake_{len(self.refunds) + 1}")
