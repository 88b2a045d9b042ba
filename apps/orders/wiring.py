"""Every use case of the orders context, bound once: the handler with its adapters, and who may send it.

``grep PlaceOrder apps/orders/wiring.py`` shows all that is bound to placing an
order. The composition root (``apps.composition``) puts these on the buses; the
authorization middleware (``apps.security.authorization``) reads the rules.
A customer sees their own orders (the read row's ``customer_id``) and cancels
them as their owner on the write side (``customer_of``); support agents see
others' through object grants (``SUPPORT_GRANTS``).
"""

from __future__ import annotations

from django.conf import settings

from apps.messaging.registry import Projection, policy
from apps.orders import policies, projections, queries
from apps.orders.models import Order
from apps.orders.repository import DjangoOrderRepository, customer_of
from apps.platform.buses import dispatch
from apps.platform.listing import scoped
from apps.platform.unit_of_work import in_unit_of_work
from apps.platform.wiring import Binding, Ports
from apps.security.authorization import ForThemselves, Needs, OnObject, Seen, SystemOnly
from domain.orders import handlers
from domain.orders.commands import CancelOrder, MarkOrderPaid, MarkOrderRefunded, PlaceOrder, ShipOrder
from domain.orders.errors import OrderNotFoundError

REPOSITORIES = {"orders": DjangoOrderRepository}
#: What ``manage.py grant_access`` gives a support agent on a customer's orders: reading only.
SUPPORT_GRANTS = {Order: ("orders.view_order",)}


def _hidden() -> OrderNotFoundError:
    return OrderNotFoundError("No order has this id.")


#: Who sees which orders: staff every one, support the customers granted to them, a customer their own.
SEEN = Seen(
    Order,
    everything="orders.view_all_orders",
    granted="orders.view_granted_orders",
    own="orders.view_own_orders",
    grant="orders.view_order",
)


def command_bindings(ports: Ports) -> tuple[Binding, ...]:
    clock, ids = ports.clock, ports.ids
    return (
        Binding(
            PlaceOrder,
            in_unit_of_work(handlers.place_order, clock=clock, ids=ids, max_lines=settings.ORDER_MAX_LINES),
            ForThemselves("orders.place_order", field="customer_id"),
        ),
        Binding(
            CancelOrder,
            in_unit_of_work(handlers.cancel_order, clock=clock),
            OnObject(
                "order_id",
                owner=customer_of,
                everything="orders.cancel_any_order",
                own="orders.cancel_own_order",
                hidden=_hidden,
                by="requested_by",
            ),
        ),
        Binding(
            ShipOrder, in_unit_of_work(handlers.ship_order, clock=clock), Needs("orders.ship_order", by="shipped_by")
        ),
        Binding(MarkOrderPaid, in_unit_of_work(handlers.mark_order_paid, clock=clock), SystemOnly()),
        Binding(MarkOrderRefunded, in_unit_of_work(handlers.mark_order_refunded, clock=clock), SystemOnly()),
    )


def query_bindings() -> tuple[Binding, ...]:
    return (
        Binding(queries.GetOrder, scoped(queries.get_order), SEEN.rule()),
        Binding(queries.ListOrders, scoped(queries.list_orders), SEEN.rule()),
    )


PROJECTIONS = (Projection.of(projections, name="orders_read", consumer="orders-read", fed_by=("orders.", "billing.")),)
POLICIES = (policy(policies, dispatch=dispatch),)
