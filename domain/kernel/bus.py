"""CommandBus and QueryBus: one handler per message type, wrapped by middleware.

Middleware runs in registration order, outermost first, before the handler; each
receives the message and a ``call_next`` to continue the chain, and may answer
on its own (an authorization middleware returning ``Err``, a cache returning a
hit). Dispatching a message type nobody registered raises
:class:`HandlerNotFoundError`: that is a wiring bug, not a business outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from domain.kernel.errors import HandlerNotFoundError
from domain.kernel.messages import Command, Query
from domain.kernel.result import Result

MessageT = TypeVar("MessageT", bound=Command | Query)

Handler = Callable[[Any], Result[Any, Exception]]
CallNext = Callable[[Any], Result[Any, Exception]]
Middleware = Callable[[Any, CallNext], Result[Any, Exception]]
"""``middleware(message, call_next) -> Result``: call ``call_next(message)`` to go on."""


class _Bus(Generic[MessageT]):
    _kind = "message"

    def __init__(self) -> None:
        self._handlers: dict[type[MessageT], Handler] = {}
        self._middleware: list[Middleware] = []

    def register(self, message_type: type[MessageT], handler: Handler) -> None:
        """Bind the one handler of ``message_type``; registering a second is an error."""
        if message_type in self._handlers:
            raise ValueError(f"{message_type.__name__} already has a handler")
        self._handlers[message_type] = handler

    def add_middleware(self, middleware: Middleware) -> None:
        self._middleware.append(middleware)

    def handles(self, message_type: type[MessageT]) -> bool:
        return message_type in self._handlers

    def message_types(self) -> tuple[type[MessageT], ...]:
        """Every message type with a handler, in the order they were registered."""
        return tuple(self._handlers)

    def dispatch(self, message: MessageT) -> Result[Any, Exception]:
        """Run ``message`` through the middleware to its handler and return its Result."""
        try:
            handler = self._handlers[type(message)]
        except KeyError:
            raise HandlerNotFoundError(f"no handler registered for {self._kind} {type(message).__qualname__}") from None
        return self._chain(handler, 0)(message)

    def _chain(self, handler: Handler, position: int) -> CallNext:
        if position == len(self._middleware):
            return handler
        middleware = self._middleware[position]
        call_next = self._chain(handler, position + 1)
        return lambda message: middleware(message, call_next)


class CommandBus(_Bus[Command]):
    _kind = "command"


class QueryBus(_Bus[Query]):
    _kind = "query"
