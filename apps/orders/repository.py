"""The Django repository of Order aggregates."""

from __future__ import annotations

from uuid import UUID

from apps.orders import mapper
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderLine as OrderLineRow
from domain.kernel.errors import ConflictError
from domain.orders.model import Order
from domain.orders.ports import OrderRepository


class DjangoOrderRepository(OrderRepository):
    def _add(self, aggregate: Order) -> None:
        """Nothing to do until flush: new orders are inserted when the unit of work commits."""

    def _get(self, id: UUID) -> Order | None:
        row = OrderRow.objects.filter(pk=id).prefetch_related("lines").first()
        return mapper.to_domain(row, row.lines.all()) if row else None

    def flush(self) -> None:
        """Insert new orders with their lines and update changed ones, guarding each update with
        the version it was loaded at.

        Raises ``ConflictError`` when somebody else changed the order since it was loaded
        (the unit-of-work middleware then retries the command on fresh state).
        """
        for order in self.seen.values():
            if not order.pending_events:
                continue
            if order.loaded_version == 0:
                mapper.to_row(order).save(force_insert=True)
                OrderLineRow.objects.bulk_create(mapper.to_line_rows(order))
                continue
            updated = OrderRow.objects.filter(pk=order.id, version=order.loaded_version).update(
                **mapper.to_row_fields(order)
            )
            if updated != 1:
                raise ConflictError("The order was changed by someone else meanwhile; try again.")


def customer_of(order_id: UUID) -> UUID | None:
    """The customer of an order as stored now (None: no such order), without loading it: who owns it."""
    return OrderRow.objects.filter(pk=order_id).values_list("customer_id", flat=True).first()
