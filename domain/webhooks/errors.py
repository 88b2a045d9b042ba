"""What can go wrong in the webhooks context, by kind (the API maps kinds to statuses)."""

from __future__ import annotations

from domain.kernel.errors import BusinessRuleViolationError, EntityNotFoundError, ValidationError


class EndpointNotFoundError(EntityNotFoundError):
    """No webhook endpoint has the given id."""


class DeliveryNotFoundError(EntityNotFoundError):
    """No delivery has the given id (or webhook-id)."""


class DeliveryNotPendingError(BusinessRuleViolationError):
    """The change needs a pending delivery: an attempt was reported for a finished one."""


class DeliveryPendingError(BusinessRuleViolationError):
    """Only a finished delivery (succeeded or failed) can be redelivered; a pending one is still tried."""


class UnsafeDestinationError(ValidationError):
    """The destination guard refused an endpoint URL (its host resolves to a loopback, private or
    otherwise internal address, say). The message is the guard's one sentence; it is also the
    ``url`` field's error, so the API answers it as any other refused field."""

    def __init__(self, message: str) -> None:
        super().__init__(message, {"url": [message]})
