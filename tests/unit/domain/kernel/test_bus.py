from dataclasses import dataclass
from typing import Any

import pytest

from domain.kernel.bus import CallNext, CommandBus, QueryBus
from domain.kernel.errors import AuthorizationError, HandlerNotFoundError
from domain.kernel.messages import Command, Query
from domain.kernel.result import Err, Ok, Result


@dataclass(frozen=True)
class PlaceOrder(Command):
    sku: str


@dataclass(frozen=True)
class CancelOrder(Command):
    order: int


@dataclass(frozen=True)
class GetOrder(Query):
    order: int


def echo(message: Any) -> Result[Any, Exception]:
    return Ok(message)


def test_dispatch_returns_the_result_of_the_handler_registered_for_the_type():
    bus = CommandBus()
    bus.register(PlaceOrder, lambda cmd: Ok(f"placed {cmd.sku}"))
    bus.register(CancelOrder, lambda cmd: Err(ValueError(f"cannot cancel {cmd.order}")))

    assert bus.dispatch(PlaceOrder("apple")) == Ok("placed apple")
    cancelled = bus.dispatch(CancelOrder(3))
    assert isinstance(cancelled, Err)
    assert str(cancelled.error) == "cannot cancel 3"


def test_dispatching_an_unregistered_type_raises_handler_not_found():
    bus = CommandBus()
    bus.register(PlaceOrder, echo)

    with pytest.raises(HandlerNotFoundError, match="command CancelOrder"):
        bus.dispatch(CancelOrder(1))


def test_unregistered_query_names_the_query_bus():
    with pytest.raises(HandlerNotFoundError, match="query GetOrder"):
        QueryBus().dispatch(GetOrder(1))


def test_unregistered_type_does_not_run_any_middleware():
    calls: list[str] = []
    bus = CommandBus()
    bus.add_middleware(lambda message, call_next: calls.append("mw") or call_next(message))

    with pytest.raises(HandlerNotFoundError):
        bus.dispatch(PlaceOrder("x"))

    assert calls == []


def test_a_subclass_of_a_registered_type_is_not_handled_by_its_parent_handler():
    @dataclass(frozen=True)
    class PlaceRushOrder(PlaceOrder):
        pass

    bus = CommandBus()
    bus.register(PlaceOrder, echo)

    with pytest.raises(HandlerNotFoundError):
        bus.dispatch(PlaceRushOrder("x"))


def test_registering_a_second_handler_for_a_type_is_refused():
    bus = CommandBus()
    bus.register(PlaceOrder, echo)

    with pytest.raises(ValueError, match="PlaceOrder already has a handler"):
        bus.register(PlaceOrder, echo)


def test_handles_tells_which_types_are_registered():
    bus = QueryBus()
    bus.register(GetOrder, echo)

    assert bus.handles(GetOrder)
    assert not bus.handles(PlaceOrder)  # type: ignore[arg-type]


def test_middleware_runs_in_registration_order_around_the_handler():
    calls: list[str] = []

    def middleware(name: str) -> Any:
        def run(message: Any, call_next: CallNext) -> Result[Any, Exception]:
            calls.append(f"{name} in")
            result = call_next(message)
            calls.append(f"{name} out")
            return result

        return run

    def handler(message: PlaceOrder) -> Result[str, Exception]:
        calls.append("handler")
        return Ok(message.sku)

    bus = CommandBus()
    bus.add_middleware(middleware("logging"))
    bus.add_middleware(middleware("auth"))
    bus.add_middleware(middleware("uow"))
    bus.register(PlaceOrder, handler)

    assert bus.dispatch(PlaceOrder("pear")) == Ok("pear")
    assert calls == ["logging in", "auth in", "uow in", "handler", "uow out", "auth out", "logging out"]


def test_middleware_added_after_registration_still_wraps_the_handler():
    calls: list[str] = []
    bus = CommandBus()
    bus.register(PlaceOrder, lambda message: calls.append("handler") or Ok(None))
    bus.add_middleware(lambda message, call_next: calls.append("mw") or call_next(message))

    bus.dispatch(PlaceOrder("x"))

    assert calls == ["mw", "handler"]


def test_middleware_can_answer_without_calling_the_handler():
    called: list[Any] = []
    bus = CommandBus()
    bus.add_middleware(lambda message, call_next: Err(AuthorizationError("not allowed")))
    bus.register(PlaceOrder, lambda message: called.append(message) or Ok(None))

    assert bus.dispatch(PlaceOrder("x")) == Err(AuthorizationError("not allowed"))
    assert called == []


def test_middleware_can_replace_the_message_passed_on():
    bus = CommandBus()
    bus.add_middleware(lambda message, call_next: call_next(PlaceOrder(message.sku.upper())))
    bus.register(PlaceOrder, echo)

    assert bus.dispatch(PlaceOrder("kiwi")) == Ok(PlaceOrder("KIWI"))


def test_exceptions_from_the_handler_propagate_through_middleware():
    bus = CommandBus()
    bus.add_middleware(lambda message, call_next: call_next(message))

    def broken(message: Any) -> Result[Any, Exception]:
        raise RuntimeError("database down")

    bus.register(PlaceOrder, broken)

    with pytest.raises(RuntimeError, match="database down"):
        bus.dispatch(PlaceOrder("x"))


def test_command_and_query_buses_keep_separate_registrations():
    commands, queries = CommandBus(), QueryBus()
    commands.register(PlaceOrder, echo)

    assert not queries.handles(PlaceOrder)  # type: ignore[arg-type]
    with pytest.raises(HandlerNotFoundError):
        queries.dispatch(GetOrder(1))
