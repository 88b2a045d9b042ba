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
