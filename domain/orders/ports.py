"""What the orders context needs from the outside world."""

from __future__ import annotations

from domain.kernel.ports import Repository, UnitOfWork
from domain.orders.model import Order


class OrderRepository(Repository[Order]):
    """Orders by id; an order's lines are loaded and saved with it (they never change after placement)."""


class OrdersUnitOfWork(UnitOfWork):
    orders: OrderRepository
