"""What can go wrong in the orders context, by kind (the API maps kinds to statuses)."""

from __future__ import annotations

from domain.kernel.errors import BusinessRuleViolationError, EntityNotFoundError


class OrderNotFoundError(EntityNotFoundError):
    """No order has the given id, or it belongs to another customer (never told apart)."""


class IllegalOrderTransitionError(BusinessRuleViolationError):
    """The order's current status does not allow the requested change (cancel a shipped order, say)."""


class InvoiceMismatchError(BusinessRuleViolationError):
    """A payment or refund names another invoice than the one the order was paid with."""
