"""The composition root: the one place where buses, handlers and adapters meet.

Handlers stay plain functions of (message, ports); here each is bound to its
production adapters. Both buses check every message against its rule
(``apps.security.rules``) before the handler runs. The unit of work is bound
per dispatch by ``UnitOfWorkMiddleware``, which writes each command's audit
entry; authorization runs inside it, so a refused command is audited too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from apps.audit import queries as audit_queries
from apps.audit import recorder as audit
from apps.billing import wiring as billing_wiring
from apps.core.bus_logging import LoggingMiddleware
from apps.core.unit_of_work import UnitOfWorkMiddleware, in_unit_of_work
from apps.orders import wiring as orders_wiring
from apps.security import rules
from apps.security.authorization import AuthorizationMiddleware
from apps.users import queries as user_queries
from apps.users.passwords import DjangoArgon2PasswordHasher, DjangoPasswordPolicy
from domain.kernel.bus import CommandBus, QueryBus
from domain.kernel.ids import RandomIdFactory
from domain.kernel.ports import SystemClock
from domain.users import commands as user_commands
from domain.users import handlers as user_handlers


@dataclass(frozen=True)
class Buses:
    commands: CommandBus
    queries: QueryBus


def build_buses() -> Buses:
    clock, ids = SystemClock(), RandomIdFactory()
    hasher, policy = DjangoArgon2PasswordHasher(), DjangoPasswordPolicy()

    commands = CommandBus()
    commands.add_middleware(LoggingMiddleware())
    commands.add_middleware(UnitOfWorkMiddleware(audit=audit.record_command))
    commands.add_middleware(AuthorizationMiddleware(rules.COMMANDS))
    commands.register(
        user_commands.RegisterUser,
        in_unit_of_work(user_handlers.register_user, hasher=hasher, policy=policy, clock=clock, ids=ids),
    )
    commands.register(user_commands.UpdateProfile, in_unit_of_work(user_handlers.update_profile, clock=clock))
    commands.register(user_commands.DeactivateUser, in_unit_of_work(user_handlers.deactivate_user, clock=clock))
    commands.register(
        user_commands.AuthenticateUser, in_unit_of_work(user_handlers.authenticate_user, hasher=hasher, clock=clock)
    )

    queries = QueryBus()
    queries.add_middleware(AuthorizationMiddleware(rules.QUERIES, on_forbidden=audit.record_forbidden_query))
    queries.register(user_queries.GetUser, user_queries.get_user)
    queries.register(audit_queries.ListAuditEntries, audit_queries.list_audit_entries)
    orders_wiring.register(commands, queries, clock=clock, ids=ids)
    billing_wiring.register(commands, queries, clock=clock, ids=ids)
    return Buses(commands=commands, queries=queries)


@cache
def buses() -> Buses:
    return build_buses()


def command_bus() -> CommandBus:
    return buses().commands


def query_bus() -> QueryBus:
    return buses().queries
