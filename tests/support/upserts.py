"""The checks of ``apps.platform.upserts.upsert``, run on SQLite (unit) and on PostgreSQL (integration)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from apps.orders.models import OrderReadModel
from apps.platform.upserts import upsert

AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def order_row(**fields: object) -> OrderReadModel:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "customer_id": uuid.uuid4(),
        "customer_email": "ada@example.com",
        "status": "pending_payment",
        "currency": "EUR",
        "total": Decimal("12.50"),
        "item_count": 2,
        "lines": [{"sku": "A-1", "quantity": 2, "unit_price": "6.25", "line_total": "12.50"}],
        "payments": [],
        "placed_at": AT,
        "created_at": AT,
        "version": 1,
        "invoice_version": 0,
    }
    return OrderReadModel(**{**values, **fields})


def check_new_rows_are_inserted_and_existing_ones_get_only_the_named_fields() -> None:
    kept = order_row()
    changed = order_row()
    upsert(OrderReadModel, [kept, changed], ["status", "version"])

    changed.status, changed.version, changed.customer_email = "paid", 2, "changed@example.com"
    changed.paid_at = AT  # not among the fields named: left as stored
    new = order_row(invoice_id=uuid.uuid4(), payments=[{"amount": "12.50", "note": 'quote " and \\ slash'}])
    upsert(OrderReadModel, [changed, new], ["status", "version"])

    rows = OrderReadModel.objects.in_bulk([kept.id, changed.id, new.id])
    assert (rows[kept.id].status, rows[kept.id].version) == ("pending_payment", 1)
    assert (rows[changed.id].status, rows[changed.id].version) == ("paid", 2)
    assert (rows[changed.id].customer_email, rows[changed.id].paid_at) == ("ada@example.com", None)
    stored = rows[new.id]
    assert stored.invoice_id == new.invoice_id
    assert stored.total == Decimal("12.50")
    assert stored.placed_at == AT
    assert stored.lines == new.lines
    assert stored.payments == [{"amount": "12.50", "note": 'quote " and \\ slash'}]


def check_nothing_to_write_is_no_statement(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        upsert(OrderReadModel, [], ["status"])
