"""In-memory adapters for the orders ports: handlers run on these in unit and property tests."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.kernel.events import DomainEvent
from domain.kernel.ports import Repository
from domain.orders.model import Order
from domain.orders.ports import OrderRepository, OrdersUnitOfWork


class FakeOrderRepository(OrderRepository):
    """Rows live in ``rows``; new and changed orders reach them only when the unit of work commits."""

    def __init__(self, orders: list[Order] | None = None) -> None:
        super().__init__()
        self.rows: dict[UUID, Order] = {order.id: order for order in orders or []}

    def _add(self, aggregate: Order) -> None:
        """Saved on commit, like the Django repository."""

    def _get(self, id: UUID) -> Order | None:
        return self.rows.get(id)

    def flush(self) -> None:
        self.rows.update(self.seen)

    def forget_seen(self) -> None:
        self.seen.clear()


class FakeOrdersUnitOfWork(OrdersUnitOfWork):
    def __init__(self, orders: list[Order] | None = None) -> None:
        self.orders = FakeOrderRepository(orders)
        self.committed = False
        self.published: list[DomainEvent] = []

    def repositories(self) -> tuple[Repository[Any], ...]:
        return (self.orders,)

    def commit(self) -> None:
        self.orders.flush()
        self.published.extend(self.collect_events())
        self.orders.forget_seen()
        self.committed = True

    def rollback(self) -> None:
        """Forget what was not committed; after a commit there is nothing left to undo."""
        self.orders.forget_seen()
