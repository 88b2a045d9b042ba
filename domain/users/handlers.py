"""Command handlers of the users context.

Each takes its command plus keyword-only ports, and returns ``Ok(user)`` or an
``Err`` with a domain or application error. None commits: the unit-of-work
middleware commits on ``Ok`` and rolls back on ``Err``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from domain.kernel.errors import DomainError, InvalidValueError, ValidationError
from domain.kernel.ids import IdFactory
from domain.kernel.ports import Clock
from domain.kernel.result import Err, Ok, Result, attempt
from domain.users.commands import (
    AssignRoles,
    AuthenticateUser,
    DeactivateUser,
    RegisterUser,
    SetStaffAccess,
    UpdateProfile,
)
from domain.users.errors import EmailAlreadyRegisteredError, InvalidCredentialsError, UserNotFoundError
from domain.users.model import Email, User, UserProfile
from domain.users.ports import PasswordHasher, PasswordPolicy, RoleCatalogue, UsersUnitOfWork

T = TypeVar("T")

UserResult = Result[User, DomainError | ValidationError | InvalidCredentialsError]


def register_user(
    cmd: RegisterUser,
    *,
    uow: UsersUnitOfWork,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    clock: Clock,
    ids: IdFactory,
) -> UserResult:
    """Create an active account.

    Err: ``ValidationError`` (bad e-mail, display name or weak password, per field),
    ``EmailAlreadyRegisteredError``.
    """
    problems: dict[str, list[str]] = {}
    email = _value(lambda: Email(cmd.email), problems)
    profile = _value(lambda: UserProfile(cmd.display_name), problems)
    weak = policy.problems(cmd.password, email=cmd.email, display_name=cmd.display_name)
    if weak:
        problems["password"] = weak
    if problems or email is None or profile is None:
        return Err(ValidationError("The registration is not valid.", problems))
    if uow.users.get_by_email(email) is not None:
        return Err(EmailAlreadyRegisteredError("An account with this e-mail address already exists."))
    user = User.register(
        id=ids.new(), email=email, password_hash=hasher.hash(cmd.password), profile=profile, now=clock.now()
    )
    uow.users.add(user)
    return Ok(user)


def update_profile(cmd: UpdateProfile, *, uow: UsersUnitOfWork, clock: Clock) -> UserResult:
    """Err: ``ValidationError`` (display name), ``UserNotFoundError``, ``UserInactiveError``."""
    profile = attempt(lambda: UserProfile(cmd.display_name))
    if isinstance(profile, Err):
        return profile
    user = uow.users.get(cmd.user_id)
    if user is None:
        return Err(UserNotFoundError("No user has this id."))
    changed = user.update_profile(profile.value, now=clock.now())
    if isinstance(changed, Err):
        return changed
    return Ok(user)


def deactivate_user(cmd: DeactivateUser, *, uow: UsersUnitOfWork, clock: Clock) -> UserResult:
    """Err: ``ValidationError`` (reason), ``UserNotFoundError``, ``CannotDeactivateSelfError``,
    ``BusinessRuleViolationError`` (already deactivated)."""
    user = uow.users.get(cmd.user_id)
    if user is None:
        return Err(UserNotFoundError("No user has this id."))
    deactivated = attempt(lambda: user.deactivate(reason=cmd.reason, by=cmd.requested_by, now=clock.now()))
    if isinstance(deactivated, Err):
        return deactivated
    if isinstance(deactivated.value, Err):
        return deactivated.value
    return Ok(user)


def assign_roles(cmd: AssignRoles, *, uow: UsersUnitOfWork, catalogue: RoleCatalogue, clock: Clock) -> UserResult:
    """Give the user exactly the roles named; the same roles again changes nothing.

    A role granted must be one the catalogue can grant now; one the user already holds may be
    kept or revoked whatever it is.

    Err: ``UserNotFoundError``, ``ValidationError`` (``roles``: a role that cannot be granted),
    ``CannotChangeOwnAccessError``.
    """
    user = uow.users.get(cmd.user_id)
    if user is None:
        return Err(UserNotFoundError("No user has this id."))
    wanted = frozenset(cmd.roles)
    assignable = catalogue.assignable()
    unknown = sorted(wanted - user.roles - assignable)
    if unknown:
        message = f"No role can be granted as {', '.join(unknown)}; the roles are {', '.join(sorted(assignable))}."
        return Err(ValidationError("The roles are not valid.", {"roles": [message]}))
    assigned = user.assign_roles(wanted, by=cmd.requested_by, now=clock.now())
    if isinstance(assigned, Err):
        return assigned
    return Ok(user)


def set_staff_access(cmd: SetStaffAccess, *, uow: UsersUnitOfWork, clock: Clock) -> UserResult:
    """Set the back-office flags; the same flags again changes nothing.

    Err: ``UserNotFoundError``, ``CannotChangeOwnAccessError``.
    """
    user = uow.users.get(cmd.user_id)
    if user is None:
        return Err(UserNotFoundError("No user has this id."))
    changed = user.set_staff_access(
        is_staff=cmd.is_staff, is_superuser=cmd.is_superuser, by=cmd.requested_by, now=clock.now()
    )
    if isinstance(changed, Err):
        return changed
    return Ok(user)


def authenticate_user(
    cmd: AuthenticateUser, *, uow: UsersUnitOfWork, hasher: PasswordHasher, clock: Clock
) -> UserResult:
    """Check the credentials and record the login.

    Err: ``InvalidCredentialsError``, the same for an unknown e-mail, a wrong
    password and a deactivated account, so none can be told from the others.
    """
    invalid = Err(InvalidCredentialsError("No active account found with the given credentials."))
    try:
        email = Email(cmd.email)
    except InvalidValueError:
        return invalid
    user = uow.users.get_by_email(email)
    if user is None:
        hasher.hash(cmd.password)  # spend the time a real check would, so timing reveals nothing
        return invalid
    if not hasher.verify(cmd.password, user.password_hash) or not user.is_active:
        return invalid
    user.record_login(now=clock.now())
    return Ok(user)


def _value(build: Callable[[], T], problems: dict[str, list[str]]) -> T | None:
    try:
        return build()
    except InvalidValueError as exc:
        problems.setdefault(exc.field, []).append(exc.message)
        return None
