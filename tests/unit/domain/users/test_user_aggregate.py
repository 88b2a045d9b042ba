from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.kernel.errors import BusinessRuleViolationError, InvalidValueError
from domain.kernel.result import Err, Ok
from domain.users.errors import CannotDeactivateSelfError, UserInactiveError
from domain.users.events import UserDeactivated, UserLoggedIn, UserProfileUpdated, UserRegistered
from domain.users.model import Email, PasswordHash, User, UserProfile

USER_ID = UUID(int=1)
ADMIN_ID = UUID(int=99)
REGISTERED_AT = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
LATER = REGISTERED_AT + timedelta(hours=1)
HASH = PasswordHash("argon2$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA")


def registered() -> User:
    return User.register(
        id=USER_ID, email=Email("ann@example.com"), password_hash=HASH, profile=UserProfile("Ann"), now=REGISTERED_AT
    )


def loaded(*, is_active: bool = True, version: int = 3) -> User:
    return User(
        id=USER_ID,
        email=Email("ann@example.com"),
        password_hash=HASH,
        profile=UserProfile("Ann"),
        is_active=is_active,
        created_at=REGISTERED_AT,
        version=version,
    )


def test_register_creates_an_active_user_with_no_login_yet():
    user = registered()

    assert user.id == USER_ID
    assert user.email == Email("ann@example.com")
    assert user.password_hash == HASH
    assert user.profile == UserProfile("Ann")
    assert user.is_active is True
    assert user.created_at == REGISTERED_AT
    assert user.updated_at is None
    assert user.last_login_at is None


def test_register_records_user_registered_as_version_1():
    user = registered()

    (event,) = user.pending_events
    assert isinstance(event, UserRegistered)
    assert (event.user_id, event.email, event.display_name) == (USER_ID, "ann@example.com", "Ann")
    assert event.occurred_at == REGISTERED_AT
    assert (event.aggregate_type, event.aggregate_id, event.aggregate_version) == ("users.user", USER_ID, 1)
    assert user.version == 1
    assert user.loaded_version == 0


def test_update_profile_changes_the_name_and_records_the_change():
    user = loaded(version=3)

    assert user.update_profile(UserProfile("Ann Lee"), now=LATER) == Ok(None)

    assert user.profile == UserProfile("Ann Lee")
    assert user.updated_at == LATER
    (event,) = user.pending_events
    assert isinstance(event, UserProfileUpdated)
    assert (event.user_id, event.display_name, event.occurred_at) == (USER_ID, "Ann Lee", LATER)
    assert event.aggregate_version == 4


def test_update_profile_to_the_same_profile_records_nothing():
    user = loaded()

    assert user.update_profile(UserProfile(" Ann "), now=LATER) == Ok(None)

    assert user.pending_events == ()
    assert user.updated_at is None
    assert user.version == 3


def test_a_deactivated_user_cannot_change_the_profile():
    user = loaded(is_active=False)

    result = user.update_profile(UserProfile("Someone Else"), now=LATER)

    assert isinstance(result, Err)
    assert isinstance(result.error, UserInactiveError)
    assert user.profile == UserProfile("Ann")
    assert user.pending_events == ()


def test_deactivate_switches_the_user_off_and_records_who_and_why():
    user = loaded(version=5)

    assert user.deactivate(reason="  spam account  ", by=ADMIN_ID, now=LATER) == Ok(None)

    assert user.is_active is False
    assert user.updated_at == LATER
    (event,) = user.pending_events
    assert isinstance(event, UserDeactivated)
    assert (event.user_id, event.reason, event.deactivated_by) == (USER_ID, "spam account", ADMIN_ID)
    assert (event.occurred_at, event.aggregate_version) == (LATER, 6)


def test_a_user_cannot_deactivate_themselves():
    user = loaded()

    result = user.deactivate(reason="leaving", by=USER_ID, now=LATER)

    assert isinstance(result, Err)
    assert isinstance(result.error, CannotDeactivateSelfError)
    assert user.is_active is True
    assert user.pending_events == ()


def test_deactivating_twice_is_a_business_rule_violation():
    user = loaded(is_active=False)

    result = user.deactivate(reason="again", by=ADMIN_ID, now=LATER)

    assert isinstance(result, Err)
    assert type(result.error) is BusinessRuleViolationError
    assert user.pending_events == ()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_deactivation_needs_a_reason(reason: str):
    user = loaded()

    with pytest.raises(InvalidValueError) as raised:
        user.deactivate(reason=reason, by=ADMIN_ID, now=LATER)

    assert raised.value.field == "reason"
    assert user.is_active is True


def test_a_reason_has_at_most_500_characters():
    user = loaded()

    with pytest.raises(InvalidValueError) as raised:
        user.deactivate(reason="x" * 501, by=ADMIN_ID, now=LATER)

    assert raised.value.field == "reason"
    assert user.deactivate(reason="x" * 500, by=ADMIN_ID, now=LATER) == Ok(None)


def test_record_login_stamps_the_time_and_records_user_logged_in():
    user = loaded(version=2)

    assert user.record_login(now=LATER) == Ok(None)

    assert user.last_login_at == LATER
    (event,) = user.pending_events
    assert isinstance(event, UserLoggedIn)
    assert (event.user_id, event.occurred_at, event.aggregate_version) == (USER_ID, LATER, 3)


def test_a_deactivated_user_cannot_log_in():
    user = loaded(is_active=False)

    result = user.record_login(now=LATER)

    assert isinstance(result, Err)
    assert isinstance(result.error, UserInactiveError)
    assert user.last_login_at is None
    assert user.pending_events == ()


def test_a_history_of_changes_numbers_its_events_consecutively():
    user = registered()
    user.update_profile(UserProfile("Ann Lee"), now=LATER)
    user.record_login(now=LATER + timedelta(minutes=1))
    user.deactivate(reason="requested", by=ADMIN_ID, now=LATER + timedelta(minutes=2))

    assert [type(e) for e in user.pending_events] == [UserRegistered, UserProfileUpdated, UserLoggedIn, UserDeactivated]
    assert [e.aggregate_version for e in user.pending_events] == [1, 2, 3, 4]
    assert user.loaded_version == 0
