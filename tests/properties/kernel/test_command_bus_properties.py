"""Property 4: the CommandBus runs its middleware in registration order, then the command's handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.kernel.bus import CallNext, CommandBus
from domain.kernel.messages import Command
from domain.kernel.result import Err, Ok, Result


@dataclass(frozen=True)
class Ship(Command):
    parcel: int


@dataclass(frozen=True)
class Cancel(Command):
    reason: str


@dataclass(frozen=True)
class Refund(Command):
    amount: int


COMMAND_TYPES: tuple[type[Command], ...] = (Ship, Cancel, Refund)

commands = st.one_of(
    st.builds(Ship, parcel=st.integers()),
    st.builds(Cancel, reason=st.text()),
    st.builds(Refund, amount=st.integers()),
)
outcomes = st.sampled_from(["ok", "err"])


def tracing_middleware(name: int, trace: list[tuple[str, Any]]) -> Any:
    def middleware(message: Command, call_next: CallNext) -> Result[Any, Exception]:
        trace.append(("before", name))
        result = call_next(message)
        trace.append(("after", name))
        return result

    return middleware


def recording_handler(trace: list[tuple[str, Any]], received: list[Command], outcome: str) -> Any:
    def handler(message: Command) -> Result[Any, Exception]:
        trace.append(("handler", message))
        received.append(message)
        return Ok(("handled", message)) if outcome == "ok" else Err(ValueError(repr(message)))

    return handler


# **Feature: architecture-restructuring-2025, Property 4: CommandBus Dispatches with Middleware**
# **Validates: Requirements 3.1, 3.3**
@given(
    middleware_count=st.integers(min_value=0, max_value=8),
    outcome_by_type=st.fixed_dictionaries(dict.fromkeys(COMMAND_TYPES, outcomes)),
    dispatched=st.lists(commands, min_size=1, max_size=5),
)
def test_every_middleware_runs_in_registration_order_before_the_command_reaches_its_own_handler(
    middleware_count: int, outcome_by_type: dict[type[Command], str], dispatched: list[Command]
) -> None:
    """For any number of middleware and any commands, each dispatch runs every middleware once, in
    registration order, before the handler registered for that command's type receives the very
    command, and the handler's Result comes back unchanged (middleware unwinds in reverse order)."""
    trace: list[tuple[str, Any]] = []
    bus = CommandBus()
    for name in range(middleware_count):
        bus.add_middleware(tracing_middleware(name, trace))
    handled_by: dict[type[Command], list[Command]] = {command_type: [] for command_type in COMMAND_TYPES}
    for command_type in COMMAND_TYPES:
        bus.register(command_type, recording_handler(trace, handled_by[command_type], outcome_by_type[command_type]))

    for command in dispatched:
        trace.clear()
        result = bus.dispatch(command)

        expected_trace = [
            *(("before", name) for name in range(middleware_count)),
            ("handler", command),
            *(("after", name) for name in reversed(range(middleware_count))),
        ]
        assert trace == expected_trace
        assert trace[middleware_count][1] is command
        if outcome_by_type[type(command)] == "ok":
            assert result == Ok(("handled", command))
        else:
            assert isinstance(result, Err)
            assert result.error.args == (repr(command),)

    for command_type, received in handled_by.items():
        assert received == [command for command in dispatched if type(command) is command_type]
