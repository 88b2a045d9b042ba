"""Who is acting: a user behind a request, a Celery task, a management command, or nobody signed in.

The audit trail records the actor of every entry; the bus's authorization
(``apps.security.authorization``) decides what the same actor may do: a system
actor (a task, a command, a policy, a verified provider webhook) may do
anything, a user what their roles and grants allow, nobody signed in only
what is public.

Resolved when an entry is written, not when the request starts: DRF
authenticates inside the view and then sets ``user`` on the Django request, so
reading the request held by ``apps.observability.requests`` at dispatch time
sees the authenticated user, for the API and the admin alike.
"""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from apps.observability import requests
from apps.observability.context import ContextValue


@dataclass(frozen=True)
class Actor:
    label: str
    id: UUID | None = None
    user: Any = field(default=None, compare=False, repr=False)
    """The Django user behind a signed-in actor (for permission checks); None for the system and anonymous."""

    @classmethod
    def signed_in(cls, user: Any) -> Actor:
        return cls(f"user:{user.pk}", user.pk, user)

    @classmethod
    def for_user_id(cls, user_id: UUID) -> Actor:
        return cls(f"user:{user_id}", user_id)

    @property
    def is_system(self) -> bool:
        return self.label == "system" or self.label.startswith("system:")


ANONYMOUS = Actor("anonymous")
CELERY = Actor("system:celery")

_acting: ContextValue[Actor | None] = ContextValue("audit_actor", default=None)


def acting_as(actor: Actor) -> AbstractContextManager[Actor | None]:
    """Everything done inside the block is done, and audited, as ``actor``."""
    return _acting.set_to(actor)


_web_process = False


def mark_web_process() -> None:
    """Called by the WSGI and ASGI entry points: in a web server, code outside a request acts as nobody."""
    global _web_process
    _web_process = True


def current() -> Actor:
    """The explicit actor if one is set, else the request's user, else the process's actor (``process_actor``)."""
    explicit = _acting.get()
    if explicit is not None:
        return explicit
    request = requests.current()
    if request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return Actor.signed_in(user)
        return ANONYMOUS
    return process_actor()


def process_actor(argv: list[str] | None = None) -> Actor:
    """Who acts outside any request and task: nobody in a web server (WSGI, ASGI, ``runserver``),
    ``system:command <name>`` under ``manage.py <name>``, plain ``system`` otherwise (a worker, a script)."""
    argv = sys.argv if argv is None else argv
    program = os.path.basename(argv[0]) if argv else ""
    command = argv[1] if len(argv) > 1 else ""
    if _web_process or (program in {"manage.py", "django-admin"} and command == "runserver"):
        return ANONYMOUS
    if program in {"manage.py", "django-admin"} and command:
        return Actor(f"system:command {command}")
    return Actor("system")


def _task_started(**kwargs: Any) -> None:
    """A task acts as ``system:celery``, unless it runs eagerly for a request: then it keeps that caller."""
    caller = current()
    acting = acting_as(CELERY if caller.is_system else caller)
    acting.__enter__()
    kwargs["task"].request.audit_actor = acting  # left when the task ends (``task_postrun``)


def _task_finished(**kwargs: Any) -> None:
    acting = getattr(kwargs["task"].request, "audit_actor", None)
    if acting is not None:
        acting.__exit__(None, None, None)


def connect_celery_signals() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="audit_actor_started")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="audit_actor_finished")
