"""The read side of the users context: queries, their DTOs and handlers.

Handlers read the ``users_read`` table (kept up to date by the projection in
``projections.py``) as plain values and return DTOs; they never build aggregates.
``GetUser`` is answered from the read cache by the query bus (``USERS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from apps.platform.caching import CachePolicy
from apps.users.models import UserReadModel
from domain.kernel.messages import Query
from domain.kernel.result import Err, Ok, Result
from domain.users.errors import UserNotFoundError
from domain.users.model import User


@dataclass(frozen=True)
class GetUser(Query):
    user_id: UUID


@dataclass(frozen=True)
class UserDTO:
    id: UUID
    email: str
    display_name: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    revision: int = 0
    """The read row's version: grows with every change, what caches compare."""


#: ``GetUser`` answers, cached by the query bus (the binding names it) and invalidated by the projection.
USERS = CachePolicy("users", ttl=60, revision=lambda dto: dto.revision)


def user_dto(user: User) -> UserDTO:
    """The write side answers from the aggregate it just changed, in the read side's shape."""
    return UserDTO(
        id=user.id,
        email=user.email.value,
        display_name=user.profile.display_name,
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def get_user(query: GetUser) -> Result[UserDTO, UserNotFoundError]:
    """Read ``users_read``. Err: ``UserNotFoundError`` (also while a new user is not projected yet)."""
    row = (
        UserReadModel.objects.filter(pk=query.user_id)
        .values("id", "email", "display_name", "is_active", "created_at", "last_login_at", "version")
        .first()
    )
    if row is None:
        return Err(UserNotFoundError("No user has this id."))
    return Ok(UserDTO(revision=row.pop("version"), **row))
