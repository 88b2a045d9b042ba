"""Which consumers this process runs: the read models' projections and the contexts' policies.

Each context declares its own in its ``wiring.py``; the composition root
(``apps.composition``) gathers them and installs them here when Django starts,
so the consumer commands, the admin and the tests find them without the
messaging app ever importing a context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

from apps.messaging.consumers import EventConsumer


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

    @classmethod
    def of(cls, module: ModuleType, *, name: str, consumer: str, fed_by: tuple[str, ...]) -> Projection:
        """The projection a context's ``projections`` module implements: ``BINDING_KEYS``, ``project``,
        ``reset`` and, where it has one, ``project_batch``; ``fed_by`` are the event-type prefixes it replays."""
        return cls(
            name=name,
            consumer=EventConsumer(
                name=consumer,
                binding_keys=module.BINDING_KEYS,
                handle=module.project,
                handle_batch=getattr(module, "project_batch", None),
            ),
            event_type_prefixes=fed_by,
            reset=module.reset,
        )


def policy(module: ModuleType, *, dispatch: Callable[[Any], Any]) -> EventConsumer:
    """The consumer of a context's ``policies`` module (``CONSUMER_NAME``, ``BINDING_KEYS``, ``react``),
    whose commands go through ``dispatch``."""
    return EventConsumer(
        name=module.CONSUMER_NAME, binding_keys=module.BINDING_KEYS, handle=partial(module.react, dispatch=dispatch)
    )


@dataclass(frozen=True)
class Consumers:
    projections: Mapping[str, Projection]
    #: Consumers that turn one context's events into another context's commands.
    policies: tuple[EventConsumer, ...]

    @property
    def all(self) -> tuple[EventConsumer, ...]:
        return (*(projection.consumer for projection in self.projections.values()), *self.policies)


_installed = Consumers(projections={}, policies=())


def install(projections: tuple[Projection, ...], policies: tuple[EventConsumer, ...]) -> None:
    global _installed
    _installed = Consumers(projections={projection.name: projection for projection in projections}, policies=policies)


def consumers() -> tuple[EventConsumer, ...]:
    """Every consumer, projections first."""
    return _installed.all


def projections() -> Mapping[str, Projection]:
    return _installed.projections


def policies() -> tuple[EventConsumer, ...]:
    return _installed.policies


def projection(name: str) -> Projection:
    return _installed.projections[name]


def consumer_named(name: str) -> EventConsumer:
    known = consumers()
    for consumer in known:
        if consumer.name == name:
            return consumer
    raise LookupError(f"no consumer is named {name!r}; known: {', '.join(c.name for c in known)}")
