from dataclasses import FrozenInstanceError
from datetime import UTC, datetime
from uuid import UUID

import pytest

from apps.users.queries import GetUser, UserDTO, user_dto
from domain.users.model import Email, PasswordHash, User, UserProfile

USER_ID = UUID(int=5)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def test_user_dto_shows_the_aggregate_in_the_read_sides_shape():
    user = User(
        id=USER_ID,
        email=Email("ann@example.com"),
        password_hash=PasswordHash("argon2$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"),
        profile=UserProfile("Ann"),
        is_active=False,
        created_at=CREATED,
        last_login_at=datetime(2026, 1, 2, tzinfo=UTC),
    )

    assert user_dto(user) == UserDTO(
        id=USER_ID,
        email="ann@example.com",
        display_name="Ann",
        is_active=False,
        created_at=CREATED,
        last_login_at=datetime(2026, 1, 2, tzinfo=UTC),
    )


def test_user_dto_never_carries_the_password_hash():
    assert "password" not in " ".join(UserDTO.__dataclass_fields__)


def test_queries_and_dtos_are_immutable_values():
    query = GetUser(user_id=USER_ID)

    assert query == GetUser(user_id=USER_ID)
    with pytest.raises(FrozenInstanceError):
        query.user_id = UUID(int=6)  # type: ignore[misc]
