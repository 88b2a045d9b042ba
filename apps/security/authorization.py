"""Authorization on the buses: one middleware, one rule per message type, deny by default.

Every command and query is checked here before its handler runs, whichever
door it came through (API, admin action, management command, Celery task):

- the **caller** is the current actor (``apps.audit.actors``): the system (a
  task, a management command, a policy, a verified provider webhook) may do
  anything; a signed-in user may do what their roles give them (Django
  permissions through groups, ``manage.py sync_roles``; every active account has
  the ``customer`` role) on the objects they hold grants on; nobody signed in
  (and a web process outside any request) may do only what is public;
- the **rule** of the message's type says what it takes (``apps.security.rules``);
  a message type without a rule is refused, so a new command is closed until
  someone decides who may send it.

A refusal is an ``Err``: ``AuthenticationError`` (401) for nobody signed in,
``AuthorizationError`` (403) for a role that lacks a permission, and the
context's not-found error (404) for an object the caller may not see, so that
another customer's order and no order at all answer alike.

The command bus registers this middleware inside the unit of work, so a refused
command is audited like any other, and the owner grants of what a command
creates are written in its transaction, after its handler (the grant tables'
foreign keys are checked at commit, so the order or invoice row may be flushed
after them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from django.db import models

from apps.audit import actors
from apps.security.access import Scope, grant_owner, holds
from domain.access.catalogue import ROLES
from domain.kernel.errors import AuthenticationError, AuthorizationError
from domain.kernel.result import Err, Ok, Result

log = structlog.get_logger(__name__)

#: What every active account may do: the customer role is everyone's baseline, groups add roles.
BASELINE = ROLES.permissions_of("customer")


@dataclass(frozen=True)
class Caller:
    """Who a message is authorized for: the system, a signed-in user, or nobody (``user`` None, not system)."""

    user: Any = None
    system: bool = False

    @classmethod
    def current(cls) -> Caller:
        actor = actors.current()
        if actor.is_system:
            return cls(system=True)
        return cls(user=actor.user)

    @property
    def signed_in(self) -> bool:
        return self.system or (self.user is not None and self.user.is_active)

    @property
    def id(self) -> Any:
        return getattr(self.user, "pk", None)

    def may(self, permission: str) -> bool:
        """The role permission ``permission``: the system's always, an active user's through roles or the baseline."""
        if self.system:
            return True
        if self.user is None or not self.user.is_active:
            return False
        return permission in BASELINE or bool(self.user.has_perm(permission))

    def holds(self, permission: str, model: type[models.Model], pk: Any, *, own: bool = False) -> bool:
        """The object grant ``permission`` on one ``model`` object (with ``own``: one of the caller's own)."""
        if self.system:
            return True
        return self.signed_in and holds(self.id, permission, model, pk, owned_by=self.id if own else None)

    def is_(self, user_id: Any) -> bool:
        """Whether ``user_id`` names the caller; the system may name anyone."""
        return self.system or user_id == self.id


class Rule(Protocol):
    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        """``Ok(message)`` (maybe narrowed, e.g. to a list scope) to go on, ``Err`` to refuse."""
        ...

    def done(self, caller: Caller, value: Any) -> None:
        """After the handler answered ``Ok(value)``, in the same unit of work (grants on what was created)."""
        ...


def _not_signed_in() -> Err[AuthenticationError]:
    return Err(AuthenticationError("Sign in first: this needs an account."))


def _lacks(permission: str) -> Err[AuthorizationError]:
    return Err(AuthorizationError(f"Your roles do not allow this (it takes the permission {permission})."))


def _in_own_name(field: str) -> Err[AuthorizationError]:
    return Err(AuthorizationError(f"You may act in your own name only ({field} must be your id)."))


class _NothingAfter:
    def done(self, caller: Caller, value: Any) -> None:
        return None


@dataclass(frozen=True)
class Public(_NothingAfter):
    """Anyone, signed in or not (registering, signing in)."""

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        return Ok(message)


@dataclass(frozen=True)
class SystemOnly(_NothingAfter):
    """Only the system: what policies, tasks and the payment provider's webhooks report."""

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if caller.system:
            return Ok(message)
        return _not_signed_in() if not caller.signed_in else Err(AuthorizationError("Only the system may do this."))


@dataclass(frozen=True)
class Needs(_NothingAfter):
    """A role permission (shipping, refunding, deactivating an account), used in the caller's own name (``by``)."""

    permission: str
    by: str = ""

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if not caller.signed_in:
            return _not_signed_in()
        if not caller.may(self.permission):
            return _lacks(self.permission)
        if self.by and not caller.is_(getattr(message, self.by)):
            return _in_own_name(self.by)
        return Ok(message)


@dataclass(frozen=True)
class OwnAccount(_NothingAfter):
    """The caller's own account (``field`` names it), or anyone's with the role permission ``otherwise``."""

    field: str
    otherwise: str

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if not caller.signed_in:
            return _not_signed_in()
        if caller.system or getattr(message, self.field) == caller.id or caller.may(self.otherwise):
            return Ok(message)
        return _lacks(self.otherwise)


@dataclass(frozen=True)
class ForThemselves:
    """A role permission, used for the caller only (``field`` must be them); the owner is granted what it creates."""

    permission: str
    field: str
    creates: type[models.Model]

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if not caller.signed_in:
            return _not_signed_in()
        if not caller.may(self.permission):
            return _lacks(self.permission)
        return Ok(message) if caller.is_(getattr(message, self.field)) else _in_own_name(self.field)

    def done(self, caller: Caller, value: Any) -> None:
        grant_owner(self.creates, value)


@dataclass(frozen=True)
class CreatedBySystem:
    """Only the system; the customer of what it creates is granted it (an invoice issued by billing's policy)."""

    creates: type[models.Model]

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        return SystemOnly().authorize(caller, message)

    def done(self, caller: Caller, value: Any) -> None:
        grant_owner(self.creates, value)


@dataclass(frozen=True)
class OnObject(_NothingAfter):
    """One object (``field`` holds its id), reached three ways, checked in this order:

    - ``everything``: a role permission that reaches every object of the kind;
    - ``granted``: a role permission that makes grants on other customers' objects count (support);
    - ``own``: a role permission for the caller's own objects, which they hold ``grant`` on as owners.

    The last two also take the object grant ``grant`` (django-guardian) on the
    object itself. An object the caller may not reach is reported by ``hidden``
    as not found; ``by`` names the message's field that must be the caller.
    """

    field: str
    model: type[models.Model]
    everything: str
    own: str
    grant: str
    hidden: Callable[[], Exception]
    granted: str = ""
    by: str = ""

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if not caller.signed_in:
            return _not_signed_in()
        if self.by and not caller.is_(getattr(message, self.by)):
            return _in_own_name(self.by)
        if caller.may(self.everything):
            return Ok(message)
        pk = getattr(message, self.field)
        if self.granted and caller.may(self.granted) and caller.holds(self.grant, self.model, pk):
            return Ok(message)
        if caller.may(self.own) and caller.holds(self.grant, self.model, pk, own=True):
            return Ok(message)
        return Err(self.hidden())


@dataclass(frozen=True)
class Listed(_NothingAfter):
    """A list (the query's ``scope``): every object with ``everything``; else the objects the caller holds
    ``grant`` on, anyone's with ``granted`` and their own with ``own``; else nothing."""

    model: type[models.Model]
    everything: str
    granted: str
    own: str
    grant: str

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if not caller.signed_in:
            return _not_signed_in()
        if caller.may(self.everything):
            scope = Scope.all()
        elif caller.may(self.granted):
            scope = Scope.granted_to(caller.id, self.grant, self.model)
        elif caller.may(self.own):
            scope = Scope.granted_to(caller.id, self.grant, self.model, owned_by=caller.id)
        else:
            scope = Scope()
        return Ok(dataclasses.replace(message, scope=scope))


class AuthorizationMiddleware:
    """Checks each message against its rule before the handler runs; see the module's docstring.

    ``on_forbidden(message, error)`` hears of every refusal for a missing permission (403): the
    query bus audits them there, as the command bus's unit of work audits refused commands.
    """

    def __init__(
        self, rules: Mapping[type, Rule], *, on_forbidden: Callable[[Any, Exception], object] | None = None
    ) -> None:
        self._rules = rules
        self._on_forbidden = on_forbidden

    def __call__(self, message: Any, call_next: Callable[[Any], Result[Any, Exception]]) -> Result[Any, Exception]:
        rule = self._rules.get(type(message))
        if rule is None:
            log.error("message refused: it has no authorization rule", message=type(message).__name__)
            return Err(AuthorizationError(f"{type(message).__name__} is open to no one."))
        caller = Caller.current()
        decision = rule.authorize(caller, message)
        if isinstance(decision, Err):
            log.info("message refused", message=type(message).__name__, reason=type(decision.error).__name__)
            if self._on_forbidden is not None and isinstance(decision.error, AuthorizationError):
                self._on_forbidden(message, decision.error)
            return decision
        result = call_next(decision.value)
        if isinstance(result, Ok):
            rule.done(caller, result.value)
        return result
