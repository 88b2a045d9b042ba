"""Which integration events partners may subscribe to as webhooks: those of orders and billing.

The composition root decides it, since the webhooks context knows no other context. Users' events
carry personal data and stay inside; the webhooks context's own events (an endpoint subscribed,
disabled...) are for the audit trail, not for partners.
"""

from __future__ import annotations

from types import ModuleType

from domain.billing import events as billing_events
from domain.kernel.events import DomainEvent
from domain.orders import events as orders_events

#: The contexts whose integration events are offered, each as the module that defines them.
OFFERED_CONTEXTS: tuple[ModuleType, ...] = (orders_events, billing_events)


def event_classes() -> tuple[type[DomainEvent], ...]:
    """Every offered event class (one with an ``event_type``), sorted by event type."""
    found = {
        value.event_type: value
        for module in OFFERED_CONTEXTS
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and value.event_type
    }
    return tuple(found[name] for name in sorted(found))


def offered() -> frozenset[str]:
    """The offered event types."""
    return frozenset(cls.event_type for cls in event_classes())


class OfferedEvents:
    """The webhooks context's ``EventCatalogue`` port."""

    def offered(self) -> frozenset[str]:
        return offered()
