"""The composition root of the event side: which consumers exist and which read models they feed."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apps.billing import policies as billing_policies
from apps.billing import projections as billing_projection
from apps.messaging.consumers import EventConsumer
from apps.orders import policies as orders_policies
from apps.orders import projections as orders_projection
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


ORDERS_READ = Projection(
    name="orders_read",
    consumer=EventConsumer(
        name="orders-read",
        binding_keys=orders_projection.BINDING_KEYS,
        handle=orders_projection.project,
        handle_batch=orders_projection.project_batch,
    ),
    event_type_prefixes=("orders.", "billing."),
    reset=orders_projection.reset,
)


INVOICES_READ = Projection(
    name="invoices_read",
    consumer=EventConsumer(
        name="invoices-read",
        binding_keys=billing_projection.BINDING_KEYS,
        handle=billing_projection.project,
    ),
    event_type_prefixes=("billing.",),
    reset=billing_projection.reset,
)


def dispatch(command: Command) -> Result[Any, Exception]:
    """How a policy acts: through the command bus, like any other caller (imported late: no cycle)."""
    from apps.core.composition import command_bus

    return command_bus().dispatch(command)


PROJECTIONS: dict[str, Projection] = {
    projection.name: projection for projection in (USERS_READ, ORDERS_READ, INVOICES_READ)
}
#: Consumers that turn one context's events into another context's commands.
POLICIES: tuple[EventConsumer, ...] = (
    EventConsumer(
        name=orders_policies.CONSUMER_NAME,
        binding_keys=orders_policies.BINDING_KEYS,
        handle=functools.partial(orders_policies.react, dispatch=dispatch),
    ),
    EventConsumer(
        name=billing_policies.CONSUMER_NAME,
        binding_keys=billing_policies.BINDING_KEYS,
        handle=functools.partial(billing_policies.react, dispatch=dispatch),
    ),
)
CONSUMERS: tuple[EventConsumer, ...] = (
    *(projection.consumer for projection in PROJECTIONS.values()),
    *POLICIES,
)


def consumer_named(name: str) -> EventConsumer:
    for consumer in CONSUMERS:
        if consumer.name == name:
            return consumer
    raise LookupError(f"no consumer is named {name!r}; known: {', '.join(c.name for c in CONSUMERS)}")
