"""Facts of the users context; each leaves the context through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class UserRegistered(DomainEvent):
    event_type = "users.user_registered"

    user_id: UUID
    email: str
    display_name: str


@dataclass(frozen=True, kw_only=True)
class UserProfileUpdated(DomainEvent):
    event_type = "users.user_profile_updated"

    user_id: UUID
    display_name: str


@dataclass(frozen=True, kw_only=True)
class UserDeactivated(DomainEvent):
    event_type = "users.user_deactivated"

    user_id: UUID
    reason: str
    deactivated_by: UUID


@dataclass(frozen=True, kw_only=True)
class UserLoggedIn(DomainEvent):
    event_type = "users.user_logged_in"

    user_id: UUID


@dataclass(frozen=True, kw_only=True)
class UserRolesAssigned(DomainEvent):
    event_type = "users.user_roles_assigned"

    user_id: UUID
    roles: tuple[str, ...]
    granted: tuple[str, ...]
    revoked: tuple[str, ...]
    assigned_by: UUID


@dataclass(frozen=True, kw_only=True)
class UserStaffAccessChanged(DomainEvent):
    event_type = "users.user_staff_access_changed"

    user_id: UUID
    is_staff: bool
    is_superuser: bool
    changed_by: UUID
