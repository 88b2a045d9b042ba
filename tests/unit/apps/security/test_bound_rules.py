"""Who may send each command and query, pinned: the rule every wiring.py binds, written out by hand.

A rule loosened by accident (a refund that no longer has to be requested in the
caller's own name, a query that stops hiding other customers' objects) changes
its line here, and so does a new binding: the table must name every message the
buses handle, so a new one cannot land without someone writing down who may send it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from apps.composition.buses import command_bindings, query_bindings
from apps.platform.wiring import Binding, Ports
from domain.kernel.ids import RandomIdFactory
from domain.kernel.ports import SystemClock

COMMAND_RULES = {
    "RegisterUser": "Public()",
    "AuthenticateUser": "Public()",
    "UpdateProfile": "OwnAccount(field='user_id', otherwise='users.change_user')",
    "DeactivateUser": "Needs(permission='users.deactivate_user', by='requested_by')",
    "AssignRoles": "SuperuserOnly(by='requested_by')",
    "SetStaffAccess": "SuperuserOnly(by='requested_by')",
    "PlaceOrder": "ForThemselves(permission='orders.place_order', field='customer_id')",
    "CancelOrder": (
        "OnObject(field='order_id', owner=apps.orders.repository.customer_of, everything='orders.cancel_any_order',"
        " own='orders.cancel_own_order', hidden=OrderNotFoundError, by='requested_by')"
    ),
    "ShipOrder": "Needs(permission='orders.ship_order', by='shipped_by')",
    "MarkOrderPaid": "SystemOnly()",
    "MarkOrderRefunded": "SystemOnly()",
    "IssueInvoice": "SystemOnly()",
    "VoidInvoice": "SystemOnly()",
    "CapturePayment": "SystemOnly()",
    "RecordPaymentFailure": "SystemOnly()",
    "RefundInvoice": "Needs(permission='billing.refund_invoice', by='requested_by')",
    "RecordProviderRefund": "SystemOnly()",
    "SubscribeEndpoint": "Needs(permission='webhooks.manage_webhooks', by='requested_by')",
    "UpdateEndpoint": "Needs(permission='webhooks.manage_webhooks', by='requested_by')",
    "RotateEndpointSecret": "Needs(permission='webhooks.manage_webhooks', by='requested_by')",
    "DisableEndpoint": "Needs(permission='webhooks.manage_webhooks', by='requested_by')",
    "EnableEndpoint": "Needs(permission='webhooks.manage_webhooks', by='requested_by')",
    "RedeliverDelivery": "Needs(permission='webhooks.manage_webhooks', by='requested_by')",
    "RedeliverSince": "Needs(permission='webhooks.manage_webhooks', by='requested_by')",
    "RecordDeliveryAttempt": "SystemOnly()",
}

QUERY_RULES = {
    "GetUser": "OwnAccount(field='user_id', otherwise='users.view_user')",
    "GetOrder": (
        "Listed(model=orders.Order, everything='orders.view_all_orders', granted='orders.view_granted_orders',"
        " own='orders.view_own_orders', grant='orders.view_order')"
    ),
    "ListOrders": (
        "Listed(model=orders.Order, everything='orders.view_all_orders', granted='orders.view_granted_orders',"
        " own='orders.view_own_orders', grant='orders.view_order')"
    ),
    "GetInvoice": (
        "Listed(model=billing.Invoice, everything='billing.view_all_invoices',"
        " granted='billing.view_granted_invoices', own='billing.view_own_invoices', grant='billing.view_invoice')"
    ),
    "ListInvoices": (
        "Listed(model=billing.Invoice, everything='billing.view_all_invoices',"
        " granted='billing.view_granted_invoices', own='billing.view_own_invoices', grant='billing.view_invoice')"
    ),
    "ListAuditEntries": "Needs(permission='audit.view_auditentry')",
    "ListEndpoints": "Needs(permission='webhooks.manage_webhooks')",
    "GetEndpoint": "Needs(permission='webhooks.manage_webhooks')",
    "ListDeliveries": "Needs(permission='webhooks.manage_webhooks')",
    "GetDelivery": "Needs(permission='webhooks.manage_webhooks')",
}


def described(name: str, value: Any) -> str:
    """A rule's setting as text: strings quoted, models by label, the not-found error by the type it makes."""
    if isinstance(value, str):
        return repr(value)
    if name == "hidden":
        return type(value()).__name__
    meta = getattr(value, "_meta", None)
    if meta is not None:
        return meta.label
    return f"{value.__module__}.{value.__qualname__}"


def description(rule: Any) -> str:
    """The rule's class and every setting that differs from its default, in declaration order."""
    settings = [
        f"{field.name}={described(field.name, getattr(rule, field.name))}"
        for field in dataclasses.fields(rule)
        if field.default is dataclasses.MISSING or getattr(rule, field.name) != field.default
    ]
    return f"{type(rule).__name__}({', '.join(settings)})"


def bound(bindings: tuple[Binding, ...]) -> dict[str, Any]:
    return {binding.message.__name__: binding.rule for binding in bindings}


def commands() -> dict[str, Any]:
    return bound(command_bindings(Ports(clock=SystemClock(), ids=RandomIdFactory())))


def queries() -> dict[str, Any]:
    return bound(query_bindings())


def test_every_bound_command_and_query_is_in_the_table_and_nothing_else_is():
    assert sorted(commands()) == sorted(COMMAND_RULES)
    assert sorted(queries()) == sorted(QUERY_RULES)


@pytest.mark.parametrize(("command", "rule"), COMMAND_RULES.items(), ids=list(COMMAND_RULES))
def test_each_command_is_bound_with_its_rule(command, rule):
    assert description(commands()[command]) == rule


@pytest.mark.parametrize(("query", "rule"), QUERY_RULES.items(), ids=list(QUERY_RULES))
def test_each_query_is_bound_with_its_rule(query, rule):
    assert description(queries()[query]) == rule
