"""What can go wrong in the webhooks context, by kind (the API maps kinds to statuses)."""

from __future__ import annotations

from domain.kernel.errors import BusinessRuleViolationError, EntityNotFoundError


class EndpointNotFoundError(EntityNotFoundError):
    """No webhook endpoint has the given id."""


class DeliveryNotFoundError(EntityNotFoundError):
    """No delivery has the given id (or webhook-id)."""


class DeliveryNotPendingError(BusinessRuleViolationError):
    """The change needs a pending delivery: an attempt was reported for, or a cancellation asked of, a finished one."""


class DeliveryPendingError(BusinessRuleViolationError):
    """Only a finished delivery (succeeded, failed, cancelled) can be redelivered; a pending one is still tried."""
