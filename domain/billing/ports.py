"""What the billing context needs from the outside world."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from domain.billing.model import Invoice
from domain.kernel.money import Money
from domain.kernel.ports import Repository, UnitOfWork


class InvoiceRepository(Repository[Invoice]):
    @abstractmethod
    def get_by_order(self, order_id: UUID) -> Invoice | None:
        """The invoice of order ``order_id`` (there is at most one), or ``None``."""


class BillingUnitOfWork(UnitOfWork):
    invoices: InvoiceRepository


class PaymentProvider(Protocol):
    """Moves money at a payment service provider."""

    def refund(self, *, provider_payment_id: str, amount: Money, idempotency_key: str) -> str:
        """Refund ``amount`` of the provider's payment; returns the provider's refund id.

        The same ``idempotency_key`` never refunds twice. Raises
        ``PaymentProviderError`` when the provider refuses or cannot be reached.
        """
        ...
