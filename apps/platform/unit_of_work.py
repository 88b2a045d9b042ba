"""The Django unit of work and the command-bus middleware that owns its transaction.

A command's unit of work is one ``transaction.atomic()`` block: the aggregates
its repositories touched, their events (as outbox rows) and, later, the audit row
are written together or not at all. Units of work nest (an inner one is a
savepoint), and each dispatch gets a fresh one, kept in a context variable so
that concurrent requests in threads or tasks never share state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from functools import partial
from types import TracebackType
from typing import Any, Protocol, Self

import structlog
from django.db import transaction

from apps.observability import correlation, tracing
from apps.platform import outages
from domain.kernel.errors import ConflictError
from domain.kernel.events import IntegrationEvent, to_integration_event
from domain.kernel.ports import Repository, UnitOfWork
from domain.kernel.result import Err, Ok, Result

log = structlog.get_logger(__name__)

_current: ContextVar[DjangoUnitOfWork | None] = ContextVar("unit_of_work", default=None)

AuditRecorder = Callable[[Any, "Result[Any, Exception] | BaseException"], object]
"""Writes the audit entry of a command given its outcome (``apps.audit.recorder.record_command``)."""


class Flushable(Protocol):
    def flush(self) -> None:
        """Write what changed in this unit of work (``Repository.flush``)."""
        ...


AppendEvents = Callable[[Iterable[IntegrationEvent]], int]
"""Writes integration events to the outbox in the current transaction (``apps.outbox.store.append``)."""


class DjangoUnitOfWork(UnitOfWork):
    """One ``transaction.atomic()`` block over the repositories it is given.

    ``repositories`` maps an attribute name to a repository factory;
    each unit of work makes fresh repositories, so nothing loaded leaks into the
    next. The contexts' handlers reach them by that name, as their
    ports (``OrdersUnitOfWork``) declare. Besides aggregates' repositories, it may
    hold repositories of entities that record no events (webhook deliveries): they
    are flushed on commit like the others, and have no events to collect.
    """

    def __init__(self, repositories: Mapping[str, Callable[[], Flushable]], *, outbox: AppendEvents) -> None:
        self._repositories = {name: make() for name, make in repositories.items()}
        for name, repository in self._repositories.items():
            setattr(self, name, repository)
        self._outbox = outbox
        self._atomic: Any = None
        self._committed = False

    def repositories(self) -> tuple[Repository[Any], ...]:
        """Every aggregate repository, in the order they were given: each context's aggregates are saved in turn."""
        return tuple(repository for repository in self._repositories.values() if isinstance(repository, Repository))

    def __enter__(self) -> Self:
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._committed = False
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._committed:
            transaction.set_rollback(True)
        self._atomic.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        """Save every changed aggregate and entity, then the aggregates' events to the outbox, in this transaction."""
        for repository in self._repositories.values():
            repository.flush()
        correlation_id = correlation.current()
        written = self._outbox(
            to_integration_event(event, correlation_id=correlation_id) for event in self.collect_events()
        )
        self._committed = True
        if written:
            log.debug("events appended to outbox", count=written)

    def rollback(self) -> None:
        transaction.set_rollback(True)
        self._committed = False


def in_unit_of_work(handler: Callable[..., Result[Any, Exception]], **ports: Any) -> Callable[[Any], Any]:
    """Bind ``handler`` to ``ports`` and to the unit of work open for the current dispatch."""
    bound = partial(handler, **ports)
    return lambda message: bound(message, uow=current_unit_of_work())


def current_unit_of_work() -> DjangoUnitOfWork:
    uow = _current.get()
    if uow is None:
        raise RuntimeError("no unit of work is open: dispatch commands through the command bus")
    return uow


class UnitOfWorkMiddleware:
    """Opens a unit of work per command, commits on ``Ok``, rolls back on ``Err`` or exception.

    A commit refused with ``ConflictError`` (someone saved the same aggregate
    first) runs the handler again on fresh state, up to ``attempts`` times in
    all: nothing was written, and the retry sees the winner's changes, so two
    sign-ins at once both succeed while a true conflict still ends as ``Err``.

    With ``audit``, every dispatch leaves exactly one audit entry: an ``Ok`` one in
    the command's own transaction (committed together or not at all), a refused
    or failed one in a transaction of its own once the command's was rolled back.
    """

    def __init__(
        self,
        factory: Callable[[], DjangoUnitOfWork],
        *,
        attempts: int = 3,
        audit: AuditRecorder | None = None,
    ) -> None:
        self._factory = factory
        self._attempts = attempts
        self._audit = audit

    def __call__(self, message: Any, call_next: Callable[[Any], Result[Any, Exception]]) -> Result[Any, Exception]:
        try:
            result = self._dispatch(message, call_next)
        except Exception as exc:
            try:
                self._audit_alone(message, exc)
            except Exception as audit_error:
                _audit_not_written("the audit entry of a failed command could not be written", message, audit_error)
            raise
        if not (isinstance(result, Ok) and getattr(message, "transactional", True)):
            # A refusal's changes were rolled back, so its entry needs a transaction of its own; so does
            # a non-transactional command (its sub-commands leave entries of their own as well). A failing
            # audit write is logged: it must not turn the refusal the caller is owed into a 500.
            try:
                self._audit_alone(message, result)
            except Exception as audit_error:
                _audit_not_written("the audit entry of a command could not be written", message, audit_error)
        return result

    def _dispatch(self, message: Any, call_next: Callable[[Any], Result[Any, Exception]]) -> Result[Any, Exception]:
        if not getattr(message, "transactional", True):
            return call_next(message)  # its handler runs other commands, each in a unit of work of its own
        attempt = 1
        while True:
            try:
                return self._run_once(message, call_next)
            except ConflictError as exc:
                if attempt >= self._attempts:
                    return Err(exc)
                log.info("commit conflicted; retrying on fresh state", attempt=attempt, reason=str(exc))
                attempt += 1

    def _audit_alone(self, message: Any, outcome: Result[Any, Exception] | BaseException) -> None:
        if self._audit is None:
            return
        with transaction.atomic():
            self._audit(message, outcome)

    def _run_once(self, message: Any, call_next: Callable[[Any], Result[Any, Exception]]) -> Result[Any, Exception]:
        with tracing.span("unit of work"), self._factory() as uow:
            token = _current.set(uow)
            try:
                result = call_next(message)
                if isinstance(result, Ok):
                    uow.commit()
                    if self._audit is not None:
                        self._audit(message, result)  # in the same transaction: both commit, or neither
                else:
                    uow.rollback()
                return result
            finally:
                _current.reset(token)


def _audit_not_written(event: str, message: Any, error: Exception) -> None:
    dependency = outages.dependency_of(error)
    if dependency is None:
        log.exception(event, command=type(message).__name__)
    else:  # the caller reports the outage (a request: one warning every few seconds); no traceback here
        log.info(event, command=type(message).__name__, dependency_unavailable=dependency)
