"""``seed_db --bulk`` on PostgreSQL: the rows go in with COPY, made by worker processes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from apps.billing.models import InvoiceReadModel
from apps.composition import bulk_seed
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderReadModel
from apps.outbox.models import OutboxEntry
from apps.users.models import UserReadModel
from domain.orders.commands import CancelOrder
from tests.support.commands import dispatch
from tests.support.events import deliver_events


def read_tables() -> dict[str, list[dict[str, Any]]]:
    return {
        "orders_read": list(OrderReadModel.objects.order_by("id").values()),
        "invoices_read": list(InvoiceReadModel.objects.order_by("id").values()),
        "users_read": list(UserReadModel.objects.order_by("id").values()),
    }


@pytest.mark.django_db(transaction=True)  # the worker processes are forked outside any transaction
def test_copied_in_by_two_processes_the_read_rows_are_what_a_rebuild_makes_and_orders_move_on():
    call_command("seed_demo", stdout=StringIO())
    deliver_events()
    out = StringIO()
    call_command(
        "seed_db", "--orders", "45", "--customers", "4", "--bulk", "--batch-size", "8", "--jobs", "2", stdout=out
    )
    assert out.getvalue().splitlines()[-1] == (
        "seeded 45 order(s) for 4 customer(s) in bulk: cancelled 7, paid 8, pending_payment 15, refunded 7, shipped 8"
    )
    loaded = read_tables()
    assert len(loaded["orders_read"]) == OrderRow.objects.count() == 45
    assert OutboxEntry.objects.exclude(status="processed").count() == 0

    call_command("rebuild_read_models", stdout=StringIO(), stderr=StringIO())
    assert read_tables() == loaded

    pending = OrderReadModel.objects.filter(status="pending_payment", payments=[]).first()
    assert pending is not None
    dispatch(CancelOrder(order_id=pending.id, requested_by=pending.customer_id))
    deliver_events()
    row = OrderReadModel.objects.get(pk=pending.id)
    assert (row.status, row.version, row.invoice_status, row.invoice_version) == ("cancelled", 2, "void", 2)


@pytest.mark.django_db
def test_copy_keeps_every_character_and_type_as_the_orm_reads_it():
    awkward = "tab\there, back\\slash, new\nline, carriage\rreturn, \\N, quote ' \" and é"
    order_id = uuid.uuid4()
    at = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    rows = bulk_seed.Rows()
    fields = {
        "customer_id": uuid.uuid4(), "customer_email": "a@orderflow.test", "status": "cancelled", "currency": "EUR",
        "cancellation_reason": awkward, "invoice_id": None, "placed_at": at, "paid_at": None, "shipped_at": None,
        "cancelled_at": at, "refunded_at": None, "version": 2,
    }  # fmt: skip
    rows.add_row(OrderRow, SimpleNamespace(id=order_id, **fields))
    read = OrderReadModel(
        id=order_id, customer_id=fields["customer_id"], customer_email="a@orderflow.test", status="cancelled",
        currency="EUR", total=Decimal("12.30"), item_count=1,
        lines=[{"sku": "A", "quantity": 1, "unit_price": "12.30", "line_total": "12.30", "note": awkward}],
        invoice_id=None, invoice_status="", payments=[], placed_at=at, cancelled_at=at, created_at=at, version=2,
        invoice_version=0,
    )  # fmt: skip
    rows.add([read])

    with transaction.atomic():
        bulk_seed.CopyWriter().write(rows)

    stored = OrderRow.objects.get(pk=order_id)
    assert {name: getattr(stored, name) for name in fields} == fields
    again = OrderReadModel.objects.get(pk=order_id)
    assert (again.lines, again.payments, again.total, again.created_at) == (read.lines, [], Decimal("12.30"), at)
