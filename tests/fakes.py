"""In-memory adapters for the users ports: handlers run on these in unit and property tests."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from domain.kernel.events import DomainEvent
from domain.kernel.ports import Repository
from domain.users.model import Email, PasswordHash, User
from domain.users.ports import UserRepository, UsersUnitOfWork


class FakeUserRepository(UserRepository):
    """Rows live in ``rows``; new users join them only when the unit of work commits."""

    def __init__(self, users: list[User] | None = None) -> None:
        super().__init__()
        self.rows: dict[UUID, User] = {user.id: user for user in users or []}

    def _add(self, aggregate: User) -> None:
        """Saved on commit, like the Django repository."""

    def _get(self, id: UUID) -> User | None:
        return self.rows.get(id)

    def get_by_email(self, email: Email) -> User | None:
        user = next((user for user in self.rows.values() if user.email == email), None)
        if user is not None:
            self.seen.setdefault(user.id, user)
        return user

    def flush(self) -> None:
        self.rows.update(self.seen)

    def forget_seen(self) -> None:
        self.seen.clear()


class FakeUnitOfWork(UsersUnitOfWork):
    def __init__(self, users: list[User] | None = None) -> None:
        self.users = FakeUserRepository(users)
        self.committed = False
        self.published: list[DomainEvent] = []

    def repositories(self) -> tuple[Repository[Any], ...]:
        return (self.users,)

    def commit(self) -> None:
        self.users.flush()
        self.published.extend(self.collect_events())
        self.users.forget_seen()
        self.committed = True

    def rollback(self) -> None:
        """Forget what was not committed; after a commit there is nothing left to undo."""
        self.users.forget_seen()


class FakePasswordHasher:
    """Deterministic and instant; the real argon2id adapter has its own tests."""

    def hash(self, raw: str) -> PasswordHash:
        return PasswordHash(value="fake$" + hashlib.sha256(raw.encode()).hexdigest())

    def verify(self, raw: str, hashed: PasswordHash) -> bool:
        return hashed == self.hash(raw)


class FakePasswordPolicy:
    """Accepts passwords of 10 or more characters, like the production minimum length."""

    def problems(self, raw: str, *, email: str, display_name: str) -> list[str]:
        return [] if len(raw) >= 10 else ["This password is too short. It must contain at least 10 characters."]
