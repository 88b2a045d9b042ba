"""Between the ``users`` row and the User aggregate; nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apps.users.models import User as UserRow
from domain.kernel.errors import DatabaseError
from domain.users.model import Email, PasswordHash, User, UserProfile

ARGON2ID_PREFIX = "argon2$argon2id$"
UNUSABLE_PREFIX = "!"  # Django's mark for "no password can match"


def to_domain(row: UserRow, roles: Iterable[str] = ()) -> User:
    """The aggregate of ``row``, holding ``roles`` (the names of the row's groups, read by the repository)."""
    return User(
        id=row.id,
        email=Email(row.email),
        password_hash=_password_hash(row.password),
        profile=UserProfile(row.display_name),
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_login_at=row.last_login,
        roles=frozenset(roles),
        is_staff=row.is_staff,
        is_superuser=row.is_superuser,
        version=row.version,
    )


def to_row_fields(user: User) -> dict[str, Any]:
    """The columns the aggregate owns; its roles are the row's groups, which the repository writes."""
    return {
        "email": user.email.value,
        "password": user.password_hash.value,
        "display_name": user.profile.display_name,
        "is_active": user.is_active,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "last_login": user.last_login_at,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "version": user.version,
    }


def to_row(user: User) -> UserRow:
    return UserRow(id=user.id, **to_row_fields(user))


def _password_hash(encoded: str) -> PasswordHash:
    if encoded.startswith(UNUSABLE_PREFIX):
        return PasswordHash(value=encoded, algorithm="unusable")
    # Django stores argon2id hashes as "argon2$argon2id$v=19$m=...,t=...,p=...$salt$hash".
    if not encoded.startswith(ARGON2ID_PREFIX) or len(encoded) == len(ARGON2ID_PREFIX):
        raise DatabaseError("a users row holds a password that was not hashed with argon2id")
    return PasswordHash(value=encoded, algorithm="argon2id")
