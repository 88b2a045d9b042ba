"""The composition root of the event side: which consumers exist and which read models they feed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apps.messaging.consumers import EventConsumer
from apps.users import projections as users_projection
from domain.kernel.messages import Command
from domain.kernel.result import Result


@dataclass(frozen=True)
class Projection:
    """A read model that can be rebuilt from the event history."""

    name: str
    consumer: EventConsumer
    #: Which events of the history feed it (prefixes of event types), for rebuilding.
    event_type_prefixes: tuple[str, ...]
    reset: Callable[[], None]

    def apply(self, envelope: Mapping[str, Any]) -> None:
        self.consumer.handle(envelope)


USERS_READ = Projection(
    name="users_read",
    consumer=EventConsumer(
        name="users-read",
        binding_keys=users_projection.BINDING_KEYS,
        handle=users_projection.project,
        handle_batch=users_projection.project_batch,
    ),
    event_type_prefixes=("users.",),
    reset=users_projection.reset,
)


def dispatch(command: Command) -> Result[Any, Exception]:
    """How a policy acts: through the command bus, like any other caller (imported late: no cycle)."""
    from apps.core.composition import command_bus

    return command_bus().dispatch(command)


PROJECTIONS: dict[str, Projection] = {projection.name: projection for projection in (USERS_READ,)}
#: Consumers that turn one context's events into another context's commands.
POLICIES: tuple[EventConsumer, ...] = ()
CONSUMERS: tuple[EventConsumer, ...] = (
    *(projection.consumer for projection in PROJECTIONS.values()),
    *POLICIES,
)


def consumer_named(name: str) -> EventConsumer:
    for consumer in CONSUMERS:
        if consumer.name == name:
            return consumer
    raise LookupError(f"no consumer is named {name!r}; known: {', '.join(c.name for c in CONSUMERS)}")
