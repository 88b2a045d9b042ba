"""The orders context's part of the composition root: its handlers on the buses."""

from __future__ import annotations

from django.conf import settings

from apps.core.unit_of_work import in_unit_of_work
from apps.orders import queries
from domain.kernel.bus import CommandBus, QueryBus
from domain.kernel.ids import IdFactory
from domain.kernel.ports import Clock
from domain.orders import commands, handlers


def register(commands_bus: CommandBus, queries_bus: QueryBus, *, clock: Clock, ids: IdFactory) -> None:
    commands_bus.register(
        commands.PlaceOrder,
        in_unit_of_work(handlers.place_order, clock=clock, ids=ids, max_lines=settings.ORDER_MAX_LINES),
    )
    commands_bus.register(commands.CancelOrder, in_unit_of_work(handlers.cancel_order, clock=clock))
    commands_bus.register(commands.ShipOrder, in_unit_of_work(handlers.ship_order, clock=clock))
    commands_bus.register(commands.MarkOrderPaid, in_unit_of_work(handlers.mark_order_paid, clock=clock))
    commands_bus.register(commands.MarkOrderRefunded, in_unit_of_work(handlers.mark_order_refunded, clock=clock))

    queries_bus.register(queries.GetOrder, queries.get_order)
    queries_bus.register(queries.ListOrders, queries.list_orders)
