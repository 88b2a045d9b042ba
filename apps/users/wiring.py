"""Every use case of the users context, bound once: the handler with its adapters, and who may send it.

The composition root (``apps.composition``) puts these on the buses; the
authorization middleware (``apps.security.authorization``) reads the rules.
"""

from __future__ import annotations

from apps.messaging.registry import Projection
from apps.platform.unit_of_work import in_unit_of_work
from apps.platform.wiring import Binding, Ports
from apps.security.authorization import Needs, OwnAccount, Public, SuperuserOnly
from apps.security.roles import SyncedRoles
from apps.users import projections, queries
from apps.users.passwords import DjangoArgon2PasswordHasher, DjangoPasswordPolicy
from apps.users.repository import DjangoUserRepository
from domain.users import handlers
from domain.users.commands import (
    AssignRoles,
    AuthenticateUser,
    DeactivateUser,
    RegisterUser,
    SetStaffAccess,
    UpdateProfile,
)

REPOSITORIES = {"users": DjangoUserRepository}


def command_bindings(ports: Ports) -> tuple[Binding, ...]:
    clock, ids = ports.clock, ports.ids
    hasher, policy = DjangoArgon2PasswordHasher(), DjangoPasswordPolicy()
    return (
        Binding(
            RegisterUser,
            in_unit_of_work(handlers.register_user, hasher=hasher, policy=policy, clock=clock, ids=ids),
            Public(),
        ),
        Binding(AuthenticateUser, in_unit_of_work(handlers.authenticate_user, hasher=hasher, clock=clock), Public()),
        Binding(
            UpdateProfile,
            in_unit_of_work(handlers.update_profile, clock=clock),
            OwnAccount("user_id", otherwise="users.change_user"),
        ),
        Binding(
            DeactivateUser,
            in_unit_of_work(handlers.deactivate_user, clock=clock),
            Needs("users.deactivate_user", by="requested_by"),
        ),
        Binding(
            AssignRoles,
            in_unit_of_work(handlers.assign_roles, catalogue=SyncedRoles(), clock=clock),
            SuperuserOnly(by="requested_by"),
        ),
        Binding(
            SetStaffAccess,
            in_unit_of_work(handlers.set_staff_access, clock=clock),
            SuperuserOnly(by="requested_by"),
        ),
    )


def query_bindings() -> tuple[Binding, ...]:
    return (
        Binding(
            queries.GetUser,
            queries.get_user,
            OwnAccount("user_id", otherwise="users.view_user"),
            cache=queries.USERS,
        ),
    )


PROJECTIONS = (Projection.of(projections, name="users_read", consumer="users-read", fed_by=("users.",)),)
