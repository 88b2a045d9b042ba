"""The bus's authorization: every message has a rule, an unruled one is refused, and the role rules decide alone.

Users here are stand-ins with the two things a rule reads (``is_active``,
``has_perm``); object grants need the database and are shown in
``tests/e2e/test_security_object_permissions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

import pytest

from apps.audit import actors
from apps.core.composition import build_buses
from apps.orders.models import Order
from apps.orders.queries import ListOrders
from apps.security import rules
from apps.security.access import Scope
from apps.security.authorization import AuthorizationMiddleware, Caller, ForThemselves, Listed, Needs, SystemOnly
from domain.kernel.errors import AuthenticationError, AuthorizationError
from domain.kernel.messages import Command
from domain.kernel.result import Err, Ok
from domain.orders.commands import OrderItem, PlaceOrder, ShipOrder

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


def test_every_message_the_buses_handle_has_a_rule_and_every_rule_a_handler():
    buses = build_buses()

    assert set(buses.commands.message_types()) == set(rules.COMMANDS)
    assert set(buses.queries.message_types()) == set(rules.QUERIES)


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
    rule = ForThemselves("orders.place_order", field="customer_id", creates=Order)
    ada = Caller(user=FakeUser(ADA))

    assert rule.authorize(ada, place(ADA)) == Ok(place(ADA))
    refused = rule.authorize(ada, place(BOB))
    assert isinstance(refused, Err)
    assert isinstance(refused.error, AuthorizationError)
    assert rule.authorize(Caller(system=True), place(BOB)) == Ok(place(BOB))


def test_a_list_is_scoped_to_everything_to_granted_objects_or_to_the_callers_own_by_role():
    rule = Listed(
        Order,
        everything="orders.view_all_orders",
        granted="orders.view_granted_orders",
        own="orders.view_own_orders",
        grant="orders.view_order",
    )
    query = ListOrders(status="paid")

    def scope_for(user: FakeUser) -> Scope:
        result = rule.authorize(Caller(user=user), query)
        assert isinstance(result, Ok)
        assert result.value.status == "paid"
        return result.value.scope

    assert scope_for(FakeUser(ADA)) == Scope.granted_to(ADA, "orders.view_order", Order, owned_by=ADA)
    assert scope_for(FakeUser(BOB, frozenset({"orders.view_granted_orders"}))) == Scope.granted_to(
        BOB, "orders.view_order", Order
    )
    assert scope_for(FakeUser(BOB, frozenset({"orders.view_all_orders"}))) == Scope.all()
    assert query.scope == Scope()  # a list that skipped the middleware shows nothing


def test_a_user_acts_in_their_own_name_only():
    middleware = AuthorizationMiddleware({ShipOrder: Needs("orders.ship_order", by="shipped_by")})
    shipper = FakeUser(ADA, frozenset({"orders.ship_order"}))

    with as_user(shipper):
        in_bobs_name, not_seen = through(middleware, ShipOrder(order_id=ORDER, shipped_by=BOB))

    assert isinstance(in_bobs_name, Err)
    assert str(in_bobs_name.error) == "You may act in your own name only (shipped_by must be your id)."
    assert not_seen == []


@dataclass
class Spy:
    """A rule that lets everything through and notes what ``done`` was told."""

    done_with: list = field(default_factory=list)

    def authorize(self, caller, message):
        return Ok(message)

    def done(self, caller, value):
        self.done_with.append(value)


def test_a_rule_hears_of_the_handlers_value_only_when_it_is_ok():
    spy = Spy()
    middleware = AuthorizationMiddleware({ShipOrder: spy})
    command = ShipOrder(order_id=ORDER, shipped_by=ADA)

    middleware(command, lambda message: Err(AuthorizationError("no")))
    middleware(command, lambda message: Ok("shipped"))

    assert spy.done_with == ["shipped"]


def test_outside_any_request_a_web_server_acts_as_nobody_and_a_command_as_the_system():
    assert actors.process_actor(["manage.py", "runserver", "8000"]) == actors.ANONYMOUS
    assert actors.process_actor(["manage.py", "seed_db"]).is_system
    assert actors.process_actor(["celery", "-A", "config", "worker"]).is_system


def test_only_a_refusal_for_a_missing_permission_is_reported_to_on_forbidden():
    heard = []
    middleware = AuthorizationMiddleware(
        {ShipOrder: Needs("orders.ship_order")}, on_forbidden=lambda message, error: heard.append(type(error))
    )
    command = ShipOrder(order_id=ORDER, shipped_by=ADA)

    with as_user(FakeUser(ADA)):
        through(middleware, command)
    with actors.acting_as(actors.ANONYMOUS):
        through(middleware, command)
    with as_user(FakeUser(ADA, frozenset({"orders.ship_order"}))):
        through(middleware, command)

    assert heard == [AuthorizationError]
