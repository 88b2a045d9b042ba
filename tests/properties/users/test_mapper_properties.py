"""Property 6: the mapper between the ``users`` row and the User aggregate loses nothing either way."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apps.users import mapper
from apps.users.models import User as UserRow
from domain.users.model import User, UserProfile
from tests.properties.roundtrip import assert_loaded_as_it_was
from tests.properties.strategies import aware_datetimes, display_names, emails, users, users_with_history


def aggregate_state(user: User) -> dict[str, Any]:
    """Everything an aggregate holds (User equality compares ids only)."""
    return {
        "id": user.id,
        "email": user.email,
        "password_hash": user.password_hash,
        "profile": user.profile,
        "is_active": user.is_active,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "last_login_at": user.last_login_at,
        "roles": user.roles,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "version": user.version,
    }


AGGREGATE_COLUMNS = (
    "id",
    "email",
    "password",
    "display_name",
    "is_active",
    "created_at",
    "updated_at",
    "last_login",
    "is_staff",
    "is_superuser",
    "version",
)


def row_state(row: UserRow) -> dict[str, Any]:
    return {column: getattr(row, column) for column in AGGREGATE_COLUMNS}


# **Feature: architecture-restructuring-2025, Property 6: Domain-DTO Mapper Round-Trip**
# **Validates: Requirements 3.5**
@given(st.one_of(users(), users_with_history()))
def test_user_aggregate_mapped_to_a_row_and_back_keeps_every_field(user: User) -> None:
    """For any User aggregate, to_domain(to_row(user)) holds the same id, e-mail, password hash,
    profile, active and staff flags, roles (the groups the repository reads back), timestamps and
    version as the original."""
    expected = aggregate_state(user)

    rebuilt = mapper.to_domain(mapper.to_row(user), roles=user.roles)

    assert_loaded_as_it_was(rebuilt, expected, aggregate_state, user.version)


@st.composite
def user_rows(draw: st.DrawFn) -> UserRow:
    user = draw(users())
    return UserRow(
        id=user.id,
        email=draw(emails),
        password=user.password_hash.value,
        display_name=UserProfile(draw(display_names)).display_name,  # rows hold normalised names
        is_active=draw(st.booleans()),
        created_at=draw(aware_datetimes),
        updated_at=draw(st.none() | aware_datetimes),
        last_login=draw(st.none() | aware_datetimes),
        is_staff=draw(st.booleans()),
        is_superuser=draw(st.booleans()),
        version=draw(st.integers(min_value=0, max_value=2**31 - 1)),
    )


# **Feature: architecture-restructuring-2025, Property 6: Domain-DTO Mapper Round-Trip**
# **Validates: Requirements 3.5**
@given(user_rows())
def test_user_row_mapped_to_an_aggregate_and_back_keeps_every_column(row: UserRow) -> None:
    """For any valid users row, to_row(to_domain(row)) holds the same values in every column the aggregate owns."""
    rebuilt = mapper.to_row(mapper.to_domain(row))

    assert row_state(rebuilt) == row_state(row)
