"""The error hierarchy of the seed, plus the few kinds the API needs to tell apart.

Domain and application errors are *returned* inside ``Err`` by handlers; value
objects raise ``InvalidValueError`` on construction because an invalid value must
not exist. Infrastructure errors are raised by adapters and never reach a client
verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar


class MessageError(Exception):
    """An error that carries one message and is equal to another of its kind with the same message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.args == getattr(other, "args", None)

    def __hash__(self) -> int:
        return hash((type(self), self.args))


class DomainError(MessageError):
    """Base class for errors that come from the rules of the domain."""


class InvalidValueError(DomainError, ValueError):
    """A value object was given a value it cannot hold."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class EntityNotFoundError(DomainError):
    """Entity not found in repository."""


class BusinessRuleViolationError(DomainError):
    """A business rule forbids the requested change in the current state."""


class ConflictError(DomainError):
    """The change conflicts with existing state (a duplicate, a concurrent write)."""


class ApplicationError(MessageError):
    """Base class for errors raised while applying a use case."""


class ValidationError(ApplicationError):
    """Input validation failed; ``errors`` maps field names to messages."""

    #: The message of an error that has nothing more particular to say than its fields.
    DEFAULT_MESSAGE: ClassVar[str] = "The request is not valid."

    def __init__(self, message: str, errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationError:
        return cls(cls.DEFAULT_MESSAGE, {field: [message]})


class AuthenticationError(ApplicationError):
    """The caller could not be authenticated (bad credentials, inactive account)."""


class AuthorizationError(ApplicationError):
    """User not authorized for action."""


class InfrastructureError(Exception):
    """Base class for failures of the machinery around the domain."""


class DatabaseError(InfrastructureError):
    """Database operation failed."""


class ExternalServiceError(InfrastructureError):
    """External service call failed."""


class HandlerNotFoundError(LookupError):
    """A message was dispatched on a bus that has no handler registered for its type."""
