"""Every use case of the webhooks context, bound once: the handler with its adapters, and who may send it.

Endpoints belong to the organisation, not to a customer: whoever holds ``webhooks.manage_webhooks``
(the ``integrator`` role) manages and inspects all of them, in their own name. Attempts are reported
by the sending task (``apps.webhooks.sending``) as the system. Which events may be subscribed to is
the composition root's to say (``catalogue``).
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings

from apps.platform.unit_of_work import in_unit_of_work
from apps.platform.wiring import Binding, Ports
from apps.security.authorization import Needs, SystemOnly
from apps.webhooks import queries
from apps.webhooks.adapters import RandomSecrets, ResolvingGuard
from apps.webhooks.repository import DjangoDeliveryRepository, DjangoEndpointRepository
from domain.webhooks import commands, handlers
from domain.webhooks.delivery import RetrySchedule
from domain.webhooks.ports import EventCatalogue

REPOSITORIES = {"endpoints": DjangoEndpointRepository, "deliveries": DjangoDeliveryRepository}
MANAGE = "webhooks.manage_webhooks"
SCHEDULE = RetrySchedule()


def command_bindings(ports: Ports, *, catalogue: EventCatalogue) -> tuple[Binding, ...]:
    clock, ids = ports.clock, ports.ids
    guard, secrets = ResolvingGuard(), RandomSecrets()
    manage = Needs(MANAGE, by="requested_by")
    return (
        Binding(
            commands.SubscribeEndpoint,
            in_unit_of_work(
                handlers.subscribe_endpoint, clock=clock, ids=ids, secrets=secrets, guard=guard, catalogue=catalogue
            ),
            manage,
        ),
        Binding(
            commands.UpdateEndpoint,
            in_unit_of_work(handlers.update_endpoint, clock=clock, guard=guard, catalogue=catalogue),
            manage,
        ),
        Binding(
            commands.RotateEndpointSecret,
            in_unit_of_work(handlers.rotate_endpoint_secret, clock=clock, secrets=secrets),
            manage,
        ),
        Binding(commands.DisableEndpoint, in_unit_of_work(handlers.disable_endpoint, clock=clock), manage),
        Binding(commands.EnableEndpoint, in_unit_of_work(handlers.enable_endpoint, clock=clock), manage),
        Binding(commands.RedeliverDelivery, in_unit_of_work(handlers.redeliver_delivery, clock=clock), manage),
        Binding(commands.RedeliverSince, in_unit_of_work(handlers.redeliver_since, clock=clock), manage),
        Binding(
            commands.RecordDeliveryAttempt,
            in_unit_of_work(
                handlers.record_delivery_attempt,
                clock=clock,
                schedule=SCHEDULE,
                disable_after=timedelta(days=settings.WEBHOOKS_DISABLE_AFTER_DAYS),
                random=random.random,
            ),
            SystemOnly(),
        ),
    )


def query_bindings() -> tuple[Binding, ...]:
    manage = Needs(MANAGE)
    return (
        Binding(queries.ListEndpoints, queries.list_endpoints, manage),
        Binding(queries.GetEndpoint, queries.get_endpoint, manage),
        Binding(queries.ListDeliveries, queries.list_deliveries, manage),
        Binding(queries.GetDelivery, queries.get_delivery, manage),
    )
