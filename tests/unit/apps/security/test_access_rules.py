"""Who may change roles and back-office flags: a superuser (or the system), in their own name; no role is enough.

The rule is read from the real wiring, so rebinding ``AssignRoles`` or ``SetStaffAccess`` to a weaker
rule fails here. Users are stand-ins with what a rule reads (``is_active``, ``is_superuser``, ``has_perm``).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import pytest

from apps.platform.wiring import Ports
from apps.security import actors
from apps.security.authorization import AuthorizationMiddleware, SuperuserOnly
from apps.users.wiring import command_bindings
from domain.access.catalogue import ROLES
from domain.kernel.errors import AuthenticationError, AuthorizationError
from domain.kernel.ids import RandomIdFactory
from domain.kernel.ports import SystemClock
from domain.kernel.result import Err, Ok
from domain.users.commands import AssignRoles, SetStaffAccess

ROOT = UUID("5e1f0000-0000-4000-8000-0000000000ad")
ANN = UUID("5e1f0000-0000-4000-8000-000000000001")
#: Every permission a role can give, and the admin's own screen: still not enough.
EVERY_ROLE_PERMISSION = ROLES.permissions_of("admin") | {"users.change_user", "users.view_user", "auth.change_group"}


@dataclass
class FakeUser:
    pk: UUID
    is_superuser: bool = False
    permissions: frozenset[str] = frozenset()
    is_active: bool = True

    def has_perm(self, permission: str) -> bool:
        return self.is_active and (self.is_superuser or permission in self.permissions)


def as_user(user: FakeUser):
    return actors.acting_as(actors.Actor(f"user:{user.pk}", user.pk, user))


def access_changes(by: UUID) -> list[AssignRoles | SetStaffAccess]:
    return [
        AssignRoles(user_id=ANN, roles=("admin",), requested_by=by),
        SetStaffAccess(user_id=ANN, is_staff=True, is_superuser=True, requested_by=by),
    ]


@pytest.fixture
def middleware() -> AuthorizationMiddleware:
    bindings = command_bindings(Ports(clock=SystemClock(), ids=RandomIdFactory()))
    return AuthorizationMiddleware({binding.message: binding.rule for binding in bindings})


def through(middleware: AuthorizationMiddleware, message):
    seen = []
    result = middleware(message, lambda passed: seen.append(passed) or Ok("handled"))
    return result, seen


def test_both_commands_are_bound_to_the_superuser_rule_in_the_senders_own_name():
    bindings = command_bindings(Ports(clock=SystemClock(), ids=RandomIdFactory()))
    rules = {binding.message: binding.rule for binding in bindings}

    assert rules[AssignRoles] == SuperuserOnly(by="requested_by")
    assert rules[SetStaffAccess] == SuperuserOnly(by="requested_by")


@pytest.mark.parametrize("message", access_changes(by=ROOT), ids=["AssignRoles", "SetStaffAccess"])
def test_a_superuser_changes_someone_elses_access(middleware, message):
    with as_user(FakeUser(ROOT, is_superuser=True)):
        result, seen = through(middleware, message)

    assert result == Ok("handled")
    assert seen == [message]


@pytest.mark.parametrize("message", access_changes(by=ROOT), ids=["AssignRoles", "SetStaffAccess"])
def test_every_role_together_does_not_let_a_user_change_anyones_access(middleware, message):
    with as_user(FakeUser(ROOT, permissions=frozenset(EVERY_ROLE_PERMISSION))):
        result, seen = through(middleware, message)

    assert result == Err(AuthorizationError("Only a superuser may do this."))
    assert seen == []


@pytest.mark.parametrize("message", access_changes(by=ANN), ids=["AssignRoles", "SetStaffAccess"])
def test_nobody_without_the_flag_raises_their_own_access(middleware, message):
    with as_user(FakeUser(ANN, permissions=frozenset(EVERY_ROLE_PERMISSION))):
        result, seen = through(middleware, message)

    assert isinstance(result, Err)
    assert isinstance(result.error, AuthorizationError)
    assert seen == []


@pytest.mark.parametrize("message", access_changes(by=ANN), ids=["AssignRoles", "SetStaffAccess"])
def test_a_superuser_may_not_act_in_someone_elses_name(middleware, message):
    with as_user(FakeUser(ROOT, is_superuser=True)):
        result, seen = through(middleware, message)

    assert result == Err(AuthorizationError("You may act in your own name only (requested_by must be your id)."))
    assert seen == []


@pytest.mark.parametrize("message", access_changes(by=ROOT), ids=["AssignRoles", "SetStaffAccess"])
def test_nobody_signed_in_and_a_deactivated_superuser_are_told_to_sign_in(middleware, message):
    with actors.acting_as(actors.ANONYMOUS):
        anonymous, _ = through(middleware, message)
    with as_user(FakeUser(ROOT, is_superuser=True, is_active=False)):
        deactivated, _ = through(middleware, message)

    for result in (anonymous, deactivated):
        assert isinstance(result, Err)
        assert isinstance(result.error, AuthenticationError)


@pytest.mark.parametrize("message", access_changes(by=ROOT), ids=["AssignRoles", "SetStaffAccess"])
def test_the_system_may_change_access(middleware, message):
    with actors.acting_as(actors.Actor("system:command assign_roles")):
        result, _ = through(middleware, message)

    assert result == Ok("handled")
