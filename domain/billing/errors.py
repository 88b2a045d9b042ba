"""What can go wrong in the billing context, by kind (the API maps kinds to statuses)."""

from __future__ import annotations

from domain.kernel.errors import BusinessRuleViolationError, DomainError, EntityNotFoundError, ExternalServiceError


class InvoiceNotFoundError(EntityNotFoundError):
    """No invoice has the given id (or order id), or it belongs to another customer."""


class InvoiceNotOpenError(BusinessRuleViolationError):
    """The change needs an open invoice (a paid one cannot be voided, say)."""


class InvoiceNotPaidError(BusinessRuleViolationError):
    """Only a paid invoice can be refunded."""


class PartialRefundError(BusinessRuleViolationError):
    """The provider refunded less than the invoice amount; invoices are refunded in full only."""


class PaymentProviderError(DomainError):
    """The payment provider refused the request; nothing changed on our side.

    Raised by ``PaymentProvider`` adapters and returned inside ``Err`` by the
    handlers that call them.
    """


class PaymentProviderUnavailableError(PaymentProviderError, ExternalServiceError):
    """The provider could not be reached or failed on its side (network, timeout, 429, 5xx): try again later."""
