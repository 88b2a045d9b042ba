"""The users row <-> User aggregate mapper, on unsaved model instances (no database)."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from apps.users import mapper
from apps.users.models import User as UserRow
from apps.users.passwords import DjangoArgon2PasswordHasher
from domain.kernel.errors import DatabaseError
from domain.users.model import Email, PasswordHash, User, UserProfile

USER_ID = UUID("0f0f0f0f-0000-4000-8000-000000000001")
CREATED = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
ENCODED = "argon2$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


#: A stored user: the columns the aggregate owns (all but the key; its roles are the row's groups).
OWNED = {
    "email": "ann@example.com",
    "password": ENCODED,
    "display_name": "Ann",
    "is_active": True,
    "created_at": CREATED,
    "updated_at": CREATED + timedelta(days=1),
    "last_login": CREATED + timedelta(days=2),
    "is_staff": True,
    "is_superuser": False,
    "version": 6,
}


def row(**overrides: object) -> UserRow:
    return UserRow(**{"id": USER_ID, **OWNED, **overrides})


def test_to_domain_builds_the_aggregate_from_the_row():
    user = mapper.to_domain(row(), roles=["support", "auditor"])

    assert user.id == USER_ID
    assert user.email == Email("ann@example.com")
    assert user.password_hash == PasswordHash(ENCODED, algorithm="argon2id")
    assert user.profile == UserProfile("Ann")
    assert user.is_active is True
    assert user.created_at == CREATED
    assert user.updated_at == CREATED + timedelta(days=1)
    assert user.last_login_at == CREATED + timedelta(days=2)
    assert user.roles == frozenset({"support", "auditor"})
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert user.version == user.loaded_version == 6
    assert user.pending_events == ()


def test_to_row_fields_are_the_columns_the_aggregate_owns_and_nothing_else():
    user = mapper.to_domain(row())

    assert mapper.to_row_fields(user) == OWNED  # not the key, nor the groups (the repository writes those)


def test_to_row_writes_the_current_version_including_pending_events():
    user = User.register(
        id=USER_ID,
        email=Email("bob@example.com"),
        password_hash=PasswordHash(ENCODED),
        profile=UserProfile("Bob"),
        now=CREATED,
    )
    user.record_login(now=CREATED + timedelta(minutes=1))

    written = mapper.to_row(user)

    assert written.pk == USER_ID
    assert written.version == 2
    assert written.last_login == CREATED + timedelta(minutes=1)
    assert (written.is_staff, written.is_superuser) == (False, False)  # a new account has no back-office access


@pytest.mark.parametrize(
    "password",
    [
        "pbkdf2_sha256$600000$salt$hash",
        "argon2",
        "argon2$",
        "md5$argon2$x",
    ],
)
def test_a_row_whose_password_is_not_an_argon2_hash_cannot_be_loaded(password: str):
    with pytest.raises(DatabaseError, match="not hashed with argon2id"):
        mapper.to_domain(row(password=password))


def test_a_row_with_a_legacy_argon2i_hash_is_a_storage_problem_not_a_domain_error():
    with pytest.raises(DatabaseError):
        mapper.to_domain(row(password="argon2$argon2i$v=19$m=512,t=2,p=2$c2FsdA$aGFzaA"))


def test_a_row_without_a_usable_password_loads_as_an_account_no_password_opens():
    user = mapper.to_domain(row(password="!unusable-password-set-by-createsuperuser"))

    assert user.password_hash.is_usable is False
    assert DjangoArgon2PasswordHasher().verify("!unusable-password-set-by-createsuperuser", user.password_hash) is False
