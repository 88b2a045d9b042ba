"""Roles and back-office flags on in-memory fakes: AssignRoles and SetStaffAccess, a frozen clock."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.kernel.errors import ValidationError
from domain.kernel.ports import FrozenClock
from domain.kernel.result import Err, Ok
from domain.users.commands import AssignRoles, SetStaffAccess
from domain.users.errors import CannotChangeOwnAccessError, UserNotFoundError
from domain.users.events import UserRolesAssigned, UserStaffAccessChanged
from domain.users.handlers import assign_roles, set_staff_access
from domain.users.model import Email, PasswordHash, User, UserProfile
from tests.support.fakes import FakeRoleCatalogue, users_uow

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ANN = UUID("bbbbbbbb-0000-4000-8000-000000000001")
ROOT = UUID("bbbbbbbb-0000-4000-8000-0000000000ad")


def ann(*, roles: frozenset[str] = frozenset(), is_staff: bool = False, is_superuser: bool = False) -> User:
    return User(
        id=ANN,
        email=Email("ann@example.com"),
        password_hash=PasswordHash("fake$ann"),
        profile=UserProfile("Ann"),
        is_active=True,
        created_at=T0 - timedelta(days=10),
        roles=roles,
        is_staff=is_staff,
        is_superuser=is_superuser,
        version=3,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


def assign(uow, clock, *roles: str, by: UUID = ROOT, catalogue: FakeRoleCatalogue | None = None):
    command = AssignRoles(user_id=ANN, roles=roles, requested_by=by)
    return assign_roles(command, uow=uow, catalogue=catalogue or FakeRoleCatalogue(), clock=clock)


def test_assign_roles_grants_and_revokes_to_reach_exactly_the_roles_named(clock):
    uow = users_uow([ann(roles=frozenset({"support", "auditor"}))])
    clock.advance(timedelta(minutes=5))

    result = assign(uow, clock, "auditor", "billing_admin")

    assert isinstance(result, Ok)
    user = result.value
    assert user.roles == frozenset({"auditor", "billing_admin"})
    assert user.updated_at == T0 + timedelta(minutes=5)
    (event,) = user.pending_events
    assert isinstance(event, UserRolesAssigned)
    assert (event.roles, event.granted, event.revoked) == (
        ("auditor", "billing_admin"),
        ("billing_admin",),
        ("support",),
    )
    assert (event.assigned_by, event.aggregate_version, event.occurred_at) == (ROOT, 4, T0 + timedelta(minutes=5))


def test_assign_roles_with_no_role_revokes_them_all(clock):
    uow = users_uow([ann(roles=frozenset({"admin"}))])

    result = assign(uow, clock)

    assert isinstance(result, Ok)
    assert result.value.roles == frozenset()
    (event,) = result.value.pending_events
    assert (event.granted, event.revoked) == ((), ("admin",))


def test_assign_roles_with_the_roles_already_held_changes_nothing(clock):
    uow = users_uow([ann(roles=frozenset({"support"}))])

    result = assign(uow, clock, "support", "support")

    assert isinstance(result, Ok)
    assert result.value.pending_events == ()
    assert (result.value.version, result.value.updated_at) == (3, None)


def test_assign_roles_refuses_a_role_that_cannot_be_granted_under_roles_and_changes_nothing(clock):
    user = ann(roles=frozenset({"support"}))
    uow = users_uow([user])

    result = assign(uow, clock, "auditor", "root", "wizard", catalogue=FakeRoleCatalogue({"support", "auditor"}))

    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    assert result.error.errors == {"roles": ["No role can be granted as root, wizard; the roles are auditor, support."]}
    assert (user.roles, user.pending_events) == (frozenset({"support"}), ())


def test_assign_roles_lets_a_role_held_outside_the_catalogue_be_kept_or_revoked(clock):
    catalogue = FakeRoleCatalogue({"auditor"})
    uow = users_uow([ann(roles=frozenset({"night_shift"}))])

    kept = assign(uow, clock, "night_shift", "auditor", catalogue=catalogue)
    revoked = assign(users_uow([ann(roles=frozenset({"night_shift"}))]), clock, catalogue=catalogue)

    assert isinstance(kept, Ok)
    assert kept.value.roles == frozenset({"night_shift", "auditor"})
    assert isinstance(revoked, Ok)
    assert revoked.value.roles == frozenset()


def test_nobody_assigns_their_own_roles(clock):
    user = ann()
    uow = users_uow([user])

    result = assign(uow, clock, "admin", by=ANN)

    assert result == Err(CannotChangeOwnAccessError("You cannot change your own roles."))
    assert (user.roles, user.pending_events) == (frozenset(), ())


def test_assign_roles_of_an_unknown_user_is_not_found(clock):
    result = assign(users_uow(), clock, "admin")

    assert isinstance(result, Err)
    assert isinstance(result.error, UserNotFoundError)


def staff(uow, clock, *, is_staff: bool, is_superuser: bool, by: UUID = ROOT):
    command = SetStaffAccess(user_id=ANN, is_staff=is_staff, is_superuser=is_superuser, requested_by=by)
    return set_staff_access(command, uow=uow, clock=clock)


def test_set_staff_access_sets_both_flags_and_records_who_did(clock):
    uow = users_uow([ann()])
    clock.advance(timedelta(seconds=30))

    result = staff(uow, clock, is_staff=True, is_superuser=True)

    assert isinstance(result, Ok)
    user = result.value
    assert (user.is_staff, user.is_superuser, user.updated_at) == (True, True, T0 + timedelta(seconds=30))
    (event,) = user.pending_events
    assert isinstance(event, UserStaffAccessChanged)
    assert (event.is_staff, event.is_superuser, event.changed_by, event.aggregate_version) == (True, True, ROOT, 4)


def test_set_staff_access_takes_a_flag_back(clock):
    uow = users_uow([ann(is_staff=True, is_superuser=True)])

    result = staff(uow, clock, is_staff=True, is_superuser=False)

    assert isinstance(result, Ok)
    assert (result.value.is_staff, result.value.is_superuser) == (True, False)


def test_set_staff_access_to_the_flags_already_set_changes_nothing(clock):
    uow = users_uow([ann(is_staff=True)])

    result = staff(uow, clock, is_staff=True, is_superuser=False)

    assert isinstance(result, Ok)
    assert (result.value.pending_events, result.value.version) == ((), 3)


@pytest.mark.parametrize(("is_staff", "is_superuser"), [(False, False), (True, True)])
def test_nobody_changes_their_own_staff_access_neither_down_nor_up(clock, is_staff, is_superuser):
    user = ann(is_staff=True, is_superuser=False)
    uow = users_uow([user])

    result = staff(uow, clock, is_staff=is_staff, is_superuser=is_superuser, by=ANN)

    assert result == Err(CannotChangeOwnAccessError("You cannot change your own staff access."))
    assert (user.is_staff, user.is_superuser, user.pending_events) == (True, False, ())


def test_set_staff_access_of_an_unknown_user_is_not_found(clock):
    result = staff(users_uow(), clock, is_staff=True, is_superuser=False)

    assert isinstance(result, Err)
    assert isinstance(result.error, UserNotFoundError)
