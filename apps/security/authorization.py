"""Authorization on the buses: one middleware, one rule per message type, deny by default.

Every command and query is checked here before its handler runs, whichever
door it came through (API, admin action, management command, Celery task):

- the **caller** is the current actor (``apps.security.actors``): the system (a
  task, a management command, a policy, a verified provider webhook) may do
  anything; a signed-in user may do what their roles give them (Django
  permissions through groups, ``manage.py sync_roles``; every active account has
  the ``customer`` role) on their own objects and on those they hold grants on;
  nobody signed in (and a web process outside any request) may do only what is
  public;
- the **rule** of the message's type says what it takes. Each context states it
  beside the handler, in its ``wiring.py``; a message type without a rule is
  refused, so a new command is closed until someone decides who may send it.

A refusal is an ``Err``: ``AuthenticationError`` (401) for nobody signed in,
``AuthorizationError`` (403) for a role that lacks a permission, and the
context's not-found error (404) for an object the caller may not see, so that
another customer's object and no such object at all answer alike. Every 403 is
announced on ``apps.platform.signals.message_forbidden``.

The command bus registers this middleware inside the unit of work, so a refused
command is audited like any other. The rule of a query on orders or invoices answers
the ``Scope`` the caller may see, which its handler receives as an argument
(``apps.platform.listing.scoped``): a list narrows its rows to it, and a query for one
object answers not found for a row outside it, as for no row at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from django.db import models

from apps.platform.listing import Scope, within
from apps.platform.signals import message_forbidden
from apps.platform.wiring import Rule
from apps.security import actors
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

    @property
    def is_superuser(self) -> bool:
        """The system, or an active user with Django's superuser flag."""
        if self.system:
            return True
        return self.user is not None and self.user.is_active and bool(getattr(self.user, "is_superuser", False))

    def is_(self, user_id: Any) -> bool:
        """Whether ``user_id`` names the caller; the system may name anyone."""
        return self.system or user_id == self.id


def _not_signed_in() -> Err[AuthenticationError]:
    return Err(AuthenticationError("Sign in first: this needs an account."))


def _lacks(permission: str) -> Err[AuthorizationError]:
    return Err(AuthorizationError(f"Your roles do not allow this (it takes the permission {permission})."))


def _in_own_name(field: str) -> Err[AuthorizationError]:
    return Err(AuthorizationError(f"You may act in your own name only ({field} must be your id)."))


@dataclass(frozen=True)
class Public:
    """Anyone, signed in or not (registering, signing in)."""

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        return Ok(message)


@dataclass(frozen=True)
class SystemOnly:
    """Only the system: what policies, tasks and the payment provider's webhooks report."""

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if caller.system:
            return Ok(message)
        return _not_signed_in() if not caller.signed_in else Err(AuthorizationError("Only the system may do this."))


@dataclass(frozen=True)
class SuperuserOnly:
    """Only a superuser (or the system), in their own name (``by``): what decides every other rule's outcome.

    Granting roles and back-office flags is kept to the one flag that already means "may do
    everything": a permission for it would itself come with a role, and whoever held that role
    could grant themselves any other.
    """

    by: str

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if not caller.signed_in:
            return _not_signed_in()
        if not caller.is_superuser:
            return Err(AuthorizationError("Only a superuser may do this."))
        if not caller.is_(getattr(message, self.by)):
            return _in_own_name(self.by)
        return Ok(message)


@dataclass(frozen=True)
class Needs:
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
class OwnAccount:
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
    """A role permission, used for the caller only (``field`` must be them): acting for oneself."""

    permission: str
    field: str

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if not caller.signed_in:
            return _not_signed_in()
        if not caller.may(self.permission):
            return _lacks(self.permission)
        return Ok(message) if caller.is_(getattr(message, self.field)) else _in_own_name(self.field)


@dataclass(frozen=True)
class OnObject:
    """A command on one object (``field`` holds its id), reached two ways, checked in this order:

    - ``own``: a role permission for the caller's own objects: ``owner(id)`` (the object's customer,
      read from the write side) is the caller;
    - ``everything``: a role permission that reaches every object of the kind.

    Either way the answer is the same; own first, because a customer acting on their own object
    (the common case) holds ``own`` by the baseline, so the one lookup of the owner settles it,
    where asking for ``everything`` first would read the caller's role permissions from the database.

    An object the caller may not reach, or that does not exist (``owner`` answers
    None), is reported by ``hidden`` as not found; ``by`` names the message's
    field that must be the caller.
    """

    field: str
    owner: Callable[[UUID], UUID | None]
    everything: str
    own: str
    hidden: Callable[[], Exception]
    by: str = ""

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if not caller.signed_in:
            return _not_signed_in()
        if self.by and not caller.is_(getattr(message, self.by)):
            return _in_own_name(self.by)
        pk = getattr(message, self.field)
        if caller.may(self.own) and caller.id is not None and self.owner(pk) == caller.id:
            return Ok(message)
        if caller.may(self.everything):
            return Ok(message)
        return Err(self.hidden())


@dataclass(frozen=True)
class Listed:
    """What the caller sees of one kind: every object with ``everything``; with ``granted``, those the caller
    holds the object grant ``grant`` on (and their own, with ``own`` too); with ``own`` alone, their own; else
    nothing. Answers the ``Scope``, which the handler receives: a list narrows its rows to it, a query for one
    object shows it only if the scope admits it (``Scope.admits``)."""

    model: type[models.Model]
    everything: str
    granted: str
    own: str
    grant: str

    def authorize(self, caller: Caller, message: Any) -> Result[Any, Exception]:
        if not caller.signed_in:
            return _not_signed_in()
        if caller.may(self.everything):
            return Ok(Scope.all())
        owns = caller.may(self.own)
        if caller.may(self.granted):
            return Ok(Scope.granted_to(caller.id, self.grant, self.model, owner=caller.id if owns else None))
        return Ok(Scope.owned_by(caller.id) if owns else Scope())


@dataclass(frozen=True)
class Seen:
    """Who sees the objects of one kind, stated once for the query of one object and the list of them:
    everyone's with ``everything``; with ``granted``, the ones the caller holds the object grant ``grant``
    on; with ``own``, the caller's own (the ``customer_id`` of the read row)."""

    model: type[models.Model]
    everything: str
    granted: str
    own: str
    grant: str

    def rule(self) -> Listed:
        """The rule of the queries of this kind: it answers the scope their handlers are given."""
        return Listed(self.model, everything=self.everything, granted=self.granted, own=self.own, grant=self.grant)


class AuthorizationMiddleware:
    """Checks each message against its rule before the handler runs; see the module's docstring."""

    def __init__(self, rules: Mapping[type, Rule]) -> None:
        self._rules = rules

    def __call__(self, message: Any, call_next: Callable[[Any], Result[Any, Exception]]) -> Result[Any, Exception]:
        rule = self._rules.get(type(message))
        if rule is None:
            log.error("message refused: it has no authorization rule", message=type(message).__name__)
            return Err(AuthorizationError(f"{type(message).__name__} is open to no one."))
        decision = rule.authorize(Caller.current(), message)
        if isinstance(decision, Err):
            log.info("message refused", message=type(message).__name__, reason=type(decision.error).__name__)
            if isinstance(decision.error, AuthorizationError):
                message_forbidden.send(sender=type(message), message=message, error=decision.error)
            return decision
        if isinstance(decision.value, Scope):
            with within(decision.value):
                return call_next(message)
        return call_next(message)
