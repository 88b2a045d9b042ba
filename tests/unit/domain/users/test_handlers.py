"""The users command handlers on in-memory fakes: no database, a frozen clock, predictable ids."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.kernel.errors import BusinessRuleViolationError, ValidationError
from domain.kernel.ids import SequentialIdFactory
from domain.kernel.ports import FrozenClock
from domain.kernel.result import Err, Ok
from domain.users.commands import AuthenticateUser, DeactivateUser, RegisterUser, UpdateProfile
from domain.users.errors import (
    CannotDeactivateSelfError,
    EmailAlreadyRegisteredError,
    InvalidCredentialsError,
    UserInactiveError,
    UserNotFoundError,
)
from domain.users.events import UserDeactivated, UserLoggedIn, UserProfileUpdated, UserRegistered
from domain.users.handlers import authenticate_user, deactivate_user, register_user, update_profile
from domain.users.model import Email, PasswordHash, User, UserProfile
from tests.support.fakes import FakePasswordHasher, FakePasswordPolicy, FakeUnitOfWork, users_uow

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
EXISTING_ID = UUID("aaaaaaaa-0000-4000-8000-000000000001")
ADMIN_ID = UUID("aaaaaaaa-0000-4000-8000-0000000000ad")
SHORT_PASSWORD_MESSAGE = "This password is too short. It must contain at least 10 characters."


class CountingHasher(FakePasswordHasher):
    def __init__(self) -> None:
        self.hashed: list[str] = []

    def hash(self, raw: str) -> PasswordHash:
        self.hashed.append(raw)
        return super().hash(raw)


class RecordingPolicy(FakePasswordPolicy):
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def problems(self, raw: str, *, email: str, display_name: str) -> list[str]:
        self.calls.append((raw, email, display_name))
        return super().problems(raw, email=email, display_name=display_name)


def existing_user(*, is_active: bool = True, version: int = 4, user_id: UUID = EXISTING_ID) -> User:
    return User(
        id=user_id,
        email=Email("ann@example.com"),
        password_hash=FakePasswordHasher().hash(PASSWORD),
        profile=UserProfile("Ann"),
        is_active=is_active,
        created_at=T0 - timedelta(days=30),
        version=version,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


def register(uow: FakeUnitOfWork, clock: FrozenClock, hasher: FakePasswordHasher, **fields: str):
    command = RegisterUser(
        email=fields.get("email", "Bob@Example.com"),
        password=fields.get("password", PASSWORD),
        display_name=fields.get("display_name", " Bob "),
    )
    return register_user(
        command, uow=uow, hasher=hasher, policy=FakePasswordPolicy(), clock=clock, ids=SequentialIdFactory()
    )


# --- register_user -------------------------------------------------------------------------------


def test_register_user_creates_an_active_user_from_the_normalised_input(clock, hasher):
    uow = users_uow()

    result = register(uow, clock, hasher)

    assert isinstance(result, Ok)
    user = result.value
    assert user.id == UUID(int=1)
    assert user.email == Email("bob@example.com")
    assert user.profile == UserProfile("Bob")
    assert user.is_active is True
    assert user.created_at == T0
    assert user.last_login_at is None
    assert hasher.hashed == [PASSWORD]
    assert user.password_hash == FakePasswordHasher().hash(PASSWORD)


def test_register_user_adds_the_user_to_the_unit_of_work_without_committing(clock, hasher):
    uow = users_uow()

    user = register(uow, clock, hasher).value

    assert uow.users.seen == {user.id: user}
    assert uow.users.rows == {}
    assert uow.committed is False
    assert uow.published == []

    uow.commit()

    assert uow.users.get_by_email(Email("BOB@example.com")) is user


def test_register_user_records_user_registered_as_version_1_at_the_clock_time(clock, hasher):
    uow = users_uow()

    user = register(uow, clock, hasher).value
    uow.commit()

    (event,) = uow.published
    assert isinstance(event, UserRegistered)
    assert (event.user_id, event.email, event.display_name) == (user.id, "bob@example.com", "Bob")
    assert event.occurred_at == T0
    assert (event.aggregate_type, event.aggregate_id, event.aggregate_version) == ("users.user", user.id, 1)


def test_register_user_asks_the_policy_about_the_password_with_the_users_details(clock, hasher):
    policy = RecordingPolicy()

    register_user(
        RegisterUser(email="bob@example.com", password=PASSWORD, display_name="Bob"),
        uow=users_uow(),
        hasher=hasher,
        policy=policy,
        clock=clock,
        ids=SequentialIdFactory(),
    )

    assert policy.calls == [(PASSWORD, "bob@example.com", "Bob")]


@pytest.mark.parametrize("email", ["ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.Com", "  ann@example.COM "])
def test_register_user_refuses_an_email_already_registered_in_any_letter_case(clock, hasher, email):
    uow = users_uow([existing_user()])

    result = register(uow, clock, hasher, email=email)

    assert result == Err(EmailAlreadyRegisteredError("An account with this e-mail address already exists."))
    assert list(uow.users.rows) == [EXISTING_ID]
    assert hasher.hashed == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short", SHORT_PASSWORD_MESSAGE),
        ("email", "not-an-email", "Enter a valid e-mail address."),
        ("display_name", "   ", "Enter a display name."),
    ],
    ids=["weak-password", "invalid-email", "empty-display-name"],
)
def test_register_user_refuses_an_invalid_field_under_that_field(clock, hasher, field, value, message):
    uow = users_uow()

    result = register(uow, clock, hasher, **{field: value})

    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    assert result.error.errors == {field: [message]}
    assert uow.users.rows == {}
    assert hasher.hashed == []


def test_register_user_reports_every_invalid_field_at_once(clock, hasher):
    result = register(users_uow(), clock, hasher, email="", password="short", display_name="")

    assert isinstance(result, Err)
    assert result.error.errors == {
        "email": ["Enter an e-mail address."],
        "display_name": ["Enter a display name."],
        "password": [SHORT_PASSWORD_MESSAGE],
    }


def test_register_user_reports_validation_before_a_duplicate_email(clock, hasher):
    result = register(users_uow([existing_user()]), clock, hasher, email="ann@example.com", password="short")

    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    assert list(result.error.errors) == ["password"]


def test_register_user_gives_each_user_the_next_id(clock, hasher):
    uow, ids = users_uow(), SequentialIdFactory(start=10)
    policy = FakePasswordPolicy()

    first, second = (
        register_user(
            RegisterUser(email=f"{name.lower()}@example.com", password=PASSWORD, display_name=name),
            uow=uow,
            hasher=hasher,
            policy=policy,
            clock=clock,
            ids=ids,
        )
        for name in ("A", "B")
    )

    assert (first.value.id, second.value.id) == (UUID(int=10), UUID(int=11))


# --- update_profile ------------------------------------------------------------------------------


def test_update_profile_renames_the_user_and_records_the_next_version(clock):
    uow = users_uow([existing_user(version=4)])
    clock.advance(timedelta(minutes=3))

    result = update_profile(UpdateProfile(user_id=EXISTING_ID, display_name="  Ann Lee "), uow=uow, clock=clock)

    assert isinstance(result, Ok)
    user = result.value
    assert user.profile == UserProfile("Ann Lee")
    assert user.updated_at == T0 + timedelta(minutes=3)
    (event,) = user.pending_events
    assert isinstance(event, UserProfileUpdated)
    assert (event.display_name, event.aggregate_version, event.occurred_at) == (
        "Ann Lee",
        5,
        T0 + timedelta(minutes=3),
    )
    assert uow.users.seen == {EXISTING_ID: user}


def test_update_profile_with_the_same_name_changes_nothing(clock):
    uow = users_uow([existing_user()])

    result = update_profile(UpdateProfile(user_id=EXISTING_ID, display_name="Ann"), uow=uow, clock=clock)

    assert isinstance(result, Ok)
    assert result.value.pending_events == ()
    assert result.value.updated_at is None


def test_update_profile_of_an_unknown_user_is_not_found(clock):
    result = update_profile(UpdateProfile(user_id=UUID(int=404), display_name="X"), uow=users_uow(), clock=clock)

    assert result == Err(UserNotFoundError("No user has this id."))


def test_update_profile_of_a_deactivated_user_is_refused(clock):
    uow = users_uow([existing_user(is_active=False)])

    result = update_profile(UpdateProfile(user_id=EXISTING_ID, display_name="New"), uow=uow, clock=clock)

    assert isinstance(result, Err)
    assert isinstance(result.error, UserInactiveError)
    assert uow.users.rows[EXISTING_ID].profile == UserProfile("Ann")


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Enter a display name."), ("x" * 101, "A display name has at most 100 characters.")],
)
def test_update_profile_refuses_an_invalid_display_name_under_its_field(clock, name, message):
    uow = users_uow([existing_user()])

    result = update_profile(UpdateProfile(user_id=EXISTING_ID, display_name=name), uow=uow, clock=clock)

    assert result == Err(ValidationError.for_field("display_name", message))
    assert result.error.errors == {"display_name": [message]}
    assert uow.users.rows[EXISTING_ID].pending_events == ()


# --- deactivate_user -----------------------------------------------------------------------------


def test_deactivate_user_switches_the_user_off_and_records_who_and_why(clock):
    uow = users_uow([existing_user(version=7)])

    result = deactivate_user(
        DeactivateUser(user_id=EXISTING_ID, reason=" fraud ", requested_by=ADMIN_ID), uow=uow, clock=clock
    )

    assert isinstance(result, Ok)
    assert result.value.is_active is False
    assert result.value.updated_at == T0
    uow.commit()
    (event,) = uow.published
    assert isinstance(event, UserDeactivated)
    assert (event.user_id, event.reason, event.deactivated_by) == (EXISTING_ID, "fraud", ADMIN_ID)
    assert (event.aggregate_version, event.occurred_at) == (8, T0)


def test_deactivate_an_unknown_user_is_not_found(clock):
    result = deactivate_user(
        DeactivateUser(user_id=UUID(int=404), reason="x", requested_by=ADMIN_ID), uow=users_uow(), clock=clock
    )

    assert result == Err(UserNotFoundError("No user has this id."))


def test_deactivate_yourself_is_refused(clock):
    uow = users_uow([existing_user()])

    result = deactivate_user(
        DeactivateUser(user_id=EXISTING_ID, reason="leaving", requested_by=EXISTING_ID), uow=uow, clock=clock
    )

    assert isinstance(result, Err)
    assert isinstance(result.error, CannotDeactivateSelfError)
    assert uow.users.rows[EXISTING_ID].is_active is True


def test_deactivate_an_already_deactivated_user_is_a_business_rule_violation(clock):
    uow = users_uow([existing_user(is_active=False)])

    result = deactivate_user(
        DeactivateUser(user_id=EXISTING_ID, reason="again", requested_by=ADMIN_ID), uow=uow, clock=clock
    )

    assert result == Err(BusinessRuleViolationError("This user is already deactivated."))
    assert uow.users.rows[EXISTING_ID].pending_events == ()


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Give a reason for the deactivation."),
        ("   ", "Give a reason for the deactivation."),
        ("x" * 501, "A reason has at most 500 characters."),
    ],
)
def test_deactivate_needs_a_reason_of_at_most_500_characters(clock, reason, message):
    uow = users_uow([existing_user()])

    result = deactivate_user(
        DeactivateUser(user_id=EXISTING_ID, reason=reason, requested_by=ADMIN_ID), uow=uow, clock=clock
    )

    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    assert result.error.errors == {"reason": [message]}
    assert uow.users.rows[EXISTING_ID].is_active is True


# --- authenticate_user ---------------------------------------------------------------------------

INVALID_CREDENTIALS = Err(InvalidCredentialsError("No active account found with the given credentials."))


def test_authenticate_user_with_the_right_password_records_the_login(clock, hasher):
    uow = users_uow([existing_user(version=4)])
    clock.advance(timedelta(hours=2))

    result = authenticate_user(
        AuthenticateUser(email="ANN@example.com", password=PASSWORD), uow=uow, hasher=hasher, clock=clock
    )

    assert isinstance(result, Ok)
    assert result.value.id == EXISTING_ID
    assert result.value.last_login_at == T0 + timedelta(hours=2)
    uow.commit()
    (event,) = uow.published
    assert isinstance(event, UserLoggedIn)
    assert (event.user_id, event.aggregate_version, event.occurred_at) == (EXISTING_ID, 5, T0 + timedelta(hours=2))


@pytest.mark.parametrize(
    ("email", "password", "is_active"),
    [
        ("nobody@example.com", PASSWORD, True),  # unknown e-mail
        ("ann@example.com", "wrong password", True),  # wrong password
        ("ann@example.com", PASSWORD, False),  # deactivated
        ("ann@example.com", "wrong password", False),  # deactivated and wrong password
        ("not an email", PASSWORD, True),  # cannot even be an e-mail address
    ],
    ids=["unknown-email", "wrong-password", "inactive", "inactive-wrong-password", "malformed-email"],
)
def test_authenticate_user_failures_are_indistinguishable(clock, hasher, email, password, is_active):
    uow = users_uow([existing_user(is_active=is_active)])

    result = authenticate_user(AuthenticateUser(email=email, password=password), uow=uow, hasher=hasher, clock=clock)

    assert result == INVALID_CREDENTIALS
    user = uow.users.rows[EXISTING_ID]
    assert user.last_login_at is None
    assert user.pending_events == ()


def test_authenticate_an_unknown_email_still_spends_a_password_hash(clock, hasher):
    authenticate_user(
        AuthenticateUser(email="nobody@example.com", password="guess"), uow=users_uow(), hasher=hasher, clock=clock
    )

    assert hasher.hashed == ["guess"]
