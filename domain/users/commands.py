"""What callers can ask of the users context."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from domain.kernel.messages import Command


@dataclass(frozen=True)
class RegisterUser(Command):
    email: str
    password: str = field(repr=False)
    display_name: str


@dataclass(frozen=True)
class UpdateProfile(Command):
    user_id: UUID
    display_name: str


@dataclass(frozen=True)
class DeactivateUser(Command):
    user_id: UUID
    reason: str
    requested_by: UUID


@dataclass(frozen=True)
class AuthenticateUser(Command):
    email: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class AssignRoles(Command):
    """Give ``user_id`` exactly the roles ``roles`` (names of the role catalogue): the ones not held are
    granted, the ones held and not named are revoked."""

    user_id: UUID
    roles: tuple[str, ...]
    requested_by: UUID


@dataclass(frozen=True)
class SetStaffAccess(Command):
    """Set whether ``user_id`` may sign in to the back-office (``is_staff``) and holds every permission
    there is (``is_superuser``)."""

    user_id: UUID
    is_staff: bool
    is_superuser: bool
    requested_by: UUID
