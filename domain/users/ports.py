"""What the users context needs from the outside world."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from domain.kernel.ports import Repository, UnitOfWork
from domain.users.model import Email, PasswordHash, User


class UserRepository(Repository[User]):
    @abstractmethod
    def get_by_email(self, email: Email) -> User | None:
        """The user registered with ``email`` (already normalised), or ``None``."""


class UsersUnitOfWork(UnitOfWork):
    users: UserRepository


class PasswordHasher(Protocol):
    """Hashes with argon2id. ``verify`` never raises for a wrong password; it returns False."""

    def hash(self, raw: str) -> PasswordHash: ...

    def verify(self, raw: str, hashed: PasswordHash) -> bool: ...


class PasswordPolicy(Protocol):
    def problems(self, raw: str, *, email: str, display_name: str) -> list[str]:
        """Why ``raw`` is not acceptable as a password; an empty list means it is."""
        ...


class RoleCatalogue(Protocol):
    def assignable(self) -> frozenset[str]:
        """The names of the roles that may be granted now: defined, and ready to hold permissions."""
        ...
