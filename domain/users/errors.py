"""What can go wrong in the users context, by kind (the API maps kinds to statuses)."""

from __future__ import annotations

from domain.kernel.errors import (
    AuthenticationError,
    BusinessRuleViolationError,
    ConflictError,
    EntityNotFoundError,
)


class EmailAlreadyRegisteredError(ConflictError):
    """Another account already uses this e-mail address (in any letter case)."""


class UserNotFoundError(EntityNotFoundError):
    """No user has the given id."""


class InvalidCredentialsError(AuthenticationError):
    """Unknown e-mail, wrong password or deactivated account: deliberately indistinguishable."""


class UserInactiveError(BusinessRuleViolationError):
    """The user is deactivated and the change needs an active account."""


class CannotDeactivateSelfError(BusinessRuleViolationError):
    """Staff may not lock themselves out by deactivating their own account."""


class CannotChangeOwnAccessError(BusinessRuleViolationError):
    """Nobody changes their own roles or staff flags: a privilege changes by someone else's hand."""
