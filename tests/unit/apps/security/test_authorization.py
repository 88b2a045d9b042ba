"""The bus's authorization: every message has a rule, an unruled one is refused, and the role rules decide alone.

Users here are stand-ins with the two things a rule reads (``is_active``,
``has_perm``); object grants need the database and are shown in
``tests/e2e/test_security_object_permissions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import pytest

from apps.composition.buses import build_buses, command_bindings, query_bindings
from apps.orders.models import Order
from apps.orders.queries import ListOrders
from apps.platform.listing import Scope, scoped
from apps.platform.signals import message_forbidden
from apps.platform.wiring import Ports
from apps.security import actors
from apps.security.authorization import (
    AuthorizationMiddleware,
    Caller,
    ForThemselves,
    Listed,
    Needs,
    OnObject,
    SystemOnly,
)
from domain.kernel.errors import AuthenticationError, AuthorizationError
from domain.kernel.ids import RandomIdFactory
from domain.kernel.messages import Command
from domain.kernel.ports import SystemClock
from domain.kernel.result import Err, Ok
from domain.orders.commands import OrderItem, PlaceOrder, ShipOrder
from domain.orders.errors import OrderNotFoundError

ADA = UUID("0d1c7a56-3f2e-4b8a-9c61-7e5d4f3a2b10")
BOB = UUID("6a2b8c4d-1e3f-4a5b-8c7d-9e0f1a2b3c4d")
ORDER = UUID("3f2b8c1e-6d4a-4e8b-9a51-0c7d2e9f4b10")


@dataclass
class FakeUser:
    pk: UUID
    permissions: frozenset[str] = frozenset()
    is_active: bool = True

    def has_perm(self, permission: str) -> bool:
        return self.is_active and permission in self.permissions


def as_user(user: FakeUser):
    return actors.acting_as(actors.Actor(f"user:{user.pk}", user.pk, user))


def place(customer: UUID) -> PlaceOrder:
    return PlaceOrder(customer, "x@example.com", "EUR", (OrderItem("BOOK", 1, Decimal("1.00")),))


def through(middleware: AuthorizationMiddleware, message):
    seen = []
    result = middleware(message, lambda passed: seen.append(passed) or Ok("handled"))
    return result, seen


def test_every_message_the_buses_handle_is_bound_once_with_its_rule():
    buses = build_buses()
    commands = command_bindings(Ports(clock=SystemClock(), ids=RandomIdFactory()))
    queries = query_bindings()

    for bindings, bus in ((commands, buses.commands), (queries, buses.queries)):
        messages = [binding.message for binding in bindings]
        assert len(messages) == len(set(messages)), "a message is bound twice"
        assert set(bus.message_types()) == set(messages)
        assert all(callable(getattr(binding.rule, "authorize", None)) for binding in bindings)


def test_a_message_without_a_rule_never_reaches_its_handler():
    @dataclass(frozen=True)
    class Unruled(Command):
        pass

    result, seen = through(AuthorizationMiddleware({}), Unruled())

    assert isinstance(result, Err)
    assert isinstance(result.error, AuthorizationError)
    assert seen == []


def test_a_role_permission_is_needed_and_the_customer_baseline_is_not_enough():
    middleware = AuthorizationMiddleware({ShipOrder: Needs("orders.ship_order", by="shipped_by")})
    command = ShipOrder(order_id=ORDER, shipped_by=ADA)

    with as_user(FakeUser(ADA)):
        refused, not_seen = through(middleware, command)
    with as_user(FakeUser(ADA, frozenset({"orders.ship_order"}))):
        allowed, seen = through(middleware, command)

    assert isinstance(refused, Err)
    assert isinstance(refused.error, AuthorizationError)
    assert "orders.ship_order" in str(refused.error)
    assert not_seen == []
    assert allowed == Ok("handled")
    assert seen == [command]


def test_nobody_signed_in_is_told_to_sign_in_and_an_inactive_account_counts_as_nobody():
    middleware = AuthorizationMiddleware({ShipOrder: Needs("orders.ship_order", by="shipped_by")})
    command = ShipOrder(order_id=ORDER, shipped_by=ADA)

    with actors.acting_as(actors.ANONYMOUS):
        anonymous, _ = through(middleware, command)
    with as_user(FakeUser(ADA, frozenset({"orders.ship_order"}), is_active=False)):
        inactive, _ = through(middleware, command)

    assert isinstance(anonymous, Err)
    assert isinstance(anonymous.error, AuthenticationError)
    assert isinstance(inactive, Err)
    assert isinstance(inactive.error, AuthenticationError)


def test_every_active_account_has_the_customer_role():
    caller = Caller(user=FakeUser(ADA))

    assert caller.may("orders.place_order")
    assert caller.may("orders.view_own_orders")
    assert not caller.may("orders.view_all_orders")
    assert not Caller(user=FakeUser(ADA, is_active=False)).may("orders.place_order")


@pytest.mark.parametrize("actor", [actors.CELERY, actors.Actor("system:command seed_db"), actors.Actor("system")])
def test_system_actors_may_do_what_no_user_may(actor):
    middleware = AuthorizationMiddleware({ShipOrder: SystemOnly()})

    with actors.acting_as(actor):
        allowed, _ = through(middleware, ShipOrder(order_id=ORDER, shipped_by=ADA))
    with as_user(FakeUser(ADA, frozenset({"orders.ship_order"}))):
        refused, _ = through(middleware, ShipOrder(order_id=ORDER, shipped_by=ADA))

    assert allowed == Ok("handled")
    assert isinstance(refused, Err)
    assert isinstance(refused.error, AuthorizationError)


def test_a_customer_places_orders_for_themselves_only():
    rule = ForThemselves("orders.place_order", field="customer_id")
    ada = Caller(user=FakeUser(ADA))

    assert rule.authorize(ada, place(ADA)) == Ok(place(ADA))
    refused = rule.authorize(ada, place(BOB))
    assert isinstance(refused, Err)
    assert isinstance(refused.error, AuthorizationError)
    assert rule.authorize(Caller(system=True), place(BOB)) == Ok(place(BOB))


def test_a_list_is_scoped_to_everything_to_granted_and_own_objects_or_to_the_callers_own_by_role():
    rule = Listed(
        Order,
        everything="orders.view_all_orders",
        granted="orders.view_granted_orders",
        own="orders.view_own_orders",
        grant="orders.view_order",
    )

    def scope_for(user: FakeUser) -> Scope:
        result = rule.authorize(Caller(user=user), ListOrders(status="paid"))
        assert isinstance(result, Ok)
        return result.value

    assert scope_for(FakeUser(ADA)) == Scope.owned_by(ADA)
    assert scope_for(FakeUser(BOB, frozenset({"orders.view_granted_orders"}))) == Scope.granted_to(
        BOB, "orders.view_order", Order, owner=BOB
    )
    assert scope_for(FakeUser(BOB, frozenset({"orders.view_all_orders"}))) == Scope.all()
    assert scope_for(FakeUser(BOB, is_active=True, permissions=frozenset())) == Scope.owned_by(BOB)


def test_a_list_handler_receives_the_decided_scope_and_the_query_unchanged():
    rule = Listed(Order, everything="all", granted="granted", own="orders.view_own_orders", grant="orders.view_order")
    heard = []
    handler = scoped(lambda query, *, scope: heard.append((query, scope)) or Ok("listed"))
    query = ListOrders(status="paid")

    with as_user(FakeUser(ADA)):
        result = AuthorizationMiddleware({ListOrders: rule})(query, handler)

    assert result == Ok("listed")
    assert heard == [(query, Scope.owned_by(ADA))]
    assert handler(query) == Ok("listed")  # outside a dispatch the scope is empty, so nothing is shown
    assert heard[-1] == (query, Scope())


def test_an_object_is_reached_by_its_owner_and_hidden_from_everyone_else():
    owners = {ORDER: ADA}
    rule = OnObject(
        "order_id",
        owner=owners.get,
        everything="orders.cancel_any_order",
        own="orders.cancel_own_order",
        hidden=lambda: OrderNotFoundError("No order has this id."),
    )
    on_order = ShipOrder(order_id=ORDER, shipped_by=ADA)
    on_no_order = ShipOrder(order_id=BOB, shipped_by=ADA)

    assert rule.authorize(Caller(user=FakeUser(ADA)), on_order) == Ok(on_order)
    for refused in (
        rule.authorize(Caller(user=FakeUser(BOB)), on_order),
        rule.authorize(Caller(user=FakeUser(ADA)), on_no_order),
    ):
        assert isinstance(refused, Err)
        assert str(refused.error) == "No order has this id."
    assert rule.authorize(Caller(user=FakeUser(BOB, frozenset({"orders.cancel_any_order"}))), on_order) == Ok(on_order)


def test_a_user_acts_in_their_own_name_only():
    middleware = AuthorizationMiddleware({ShipOrder: Needs("orders.ship_order", by="shipped_by")})
    shipper = FakeUser(ADA, frozenset({"orders.ship_order"}))

    with as_user(shipper):
        in_bobs_name, not_seen = through(middleware, ShipOrder(order_id=ORDER, shipped_by=BOB))

    assert isinstance(in_bobs_name, Err)
    assert str(in_bobs_name.error) == "You may act in your own name only (shipped_by must be your id)."
    assert not_seen == []


def test_outside_any_request_a_web_server_acts_as_nobody_and_a_command_as_the_system():
    assert actors.process_actor(["manage.py", "runserver", "8000"]) == actors.ANONYMOUS
    assert actors.process_actor(["manage.py", "seed_db"]).is_system
    assert actors.process_actor(["celery", "-A", "config", "worker"]).is_system


def test_only_a_refusal_for_a_missing_permission_is_announced_as_forbidden():
    heard = []

    def listen(sender, message, error, **kwargs):
        heard.append((sender, type(error)))

    message_forbidden.connect(listen, weak=False)
    middleware = AuthorizationMiddleware({ShipOrder: Needs("orders.ship_order")})
    command = ShipOrder(order_id=ORDER, shipped_by=ADA)
    try:
        with as_user(FakeUser(ADA)):
            through(middleware, command)
        with actors.acting_as(actors.ANONYMOUS):
            through(middleware, command)
        with as_user(FakeUser(ADA, frozenset({"orders.ship_order"}))):
            through(middleware, command)
    finally:
        message_forbidden.disconnect(listen)

    assert heard == [(ShipOrder, AuthorizationError)]
