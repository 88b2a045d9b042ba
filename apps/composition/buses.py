"""The composition root of the write and read sides: both buses, built from every context's ``wiring.py``.

Middleware, outermost first: tracing (a span per dispatch) and metrics (every dispatch
counted and timed for Prometheus), on both buses, then logging, then the unit of work (which writes each
command's audit entry), then authorization inside it, so a refused command is
audited too. Each binding's handler goes on its bus and its rule to the
authorization middleware of that bus: a message cannot have one without the other.
On the query bus, the caching middleware sits inside authorization: a query
type bound with a cache policy is answered from the read cache, after the
caller was authorized.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from apps.audit import recorder as audit
from apps.audit import wiring as audit_wiring
from apps.billing import wiring as billing
from apps.composition import webhook_catalogue
from apps.observability.bus_metrics import BusMetricsMiddleware
from apps.observability.tracing import TracingMiddleware
from apps.orders import wiring as orders
from apps.outbox import store as outbox
from apps.platform.bus_logging import LoggingMiddleware
from apps.platform.buses import Buses
from apps.platform.caching import CachingMiddleware
from apps.platform.unit_of_work import DjangoUnitOfWork, UnitOfWorkMiddleware
from apps.platform.wiring import Binding, Ports, Rule
from apps.security.authorization import AuthorizationMiddleware
from apps.users import wiring as users
from apps.webhooks import wiring as webhooks
from domain.kernel.bus import CommandBus, QueryBus
from domain.kernel.ids import RandomIdFactory
from domain.kernel.ports import SystemClock

REPOSITORIES = {**users.REPOSITORIES, **orders.REPOSITORIES, **billing.REPOSITORIES, **webhooks.REPOSITORIES}

unit_of_work = partial(DjangoUnitOfWork, REPOSITORIES, outbox=outbox.append)
"""A unit of work over every context's repositories, writing events to the outbox."""


def command_bindings(ports: Ports) -> tuple[Binding, ...]:
    return (
        *users.command_bindings(ports),
        *orders.command_bindings(ports),
        *billing.command_bindings(ports),
        *webhooks.command_bindings(ports, catalogue=webhook_catalogue.OfferedEvents()),
    )


def query_bindings() -> tuple[Binding, ...]:
    return (
        *users.query_bindings(),
        *orders.query_bindings(),
        *billing.query_bindings(),
        *webhooks.query_bindings(),
        *audit_wiring.query_bindings(),
    )


def build_buses() -> Buses:
    ports = Ports(clock=SystemClock(), ids=RandomIdFactory())
    command_list, query_list = command_bindings(ports), query_bindings()

    commands = CommandBus()
    commands.add_middleware(TracingMiddleware("command"))
    commands.add_middleware(BusMetricsMiddleware("command"))
    commands.add_middleware(LoggingMiddleware())
    commands.add_middleware(UnitOfWorkMiddleware(unit_of_work, audit=audit.record_command))
    commands.add_middleware(AuthorizationMiddleware(_rules(command_list)))
    _register(commands, command_list)

    queries = QueryBus()
    queries.add_middleware(TracingMiddleware("query"))
    queries.add_middleware(BusMetricsMiddleware("query"))
    queries.add_middleware(AuthorizationMiddleware(_rules(query_list)))
    queries.add_middleware(CachingMiddleware({b.message: b.cache for b in query_list if b.cache is not None}))
    _register(queries, query_list)
    return Buses(commands=commands, queries=queries)


def _rules(bindings: Iterable[Binding]) -> dict[type, Rule]:
    return {binding.message: binding.rule for binding in bindings}


def _register(bus: CommandBus | QueryBus, bindings: Iterable[Binding]) -> None:
    for binding in bindings:
        bus.register(binding.message, binding.handler)
