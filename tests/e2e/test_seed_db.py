"""``manage.py seed_db``: demo orders in every state, made through the command bus and the event flow, or in bulk."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.utils import timezone

from apps.billing.models import Invoice as InvoiceRow
from apps.billing.models import InvoiceReadModel
from apps.billing.models import Payment as PaymentRow
from apps.composition import bulk_seed
from apps.composition.management.commands.seed_db import CUSTOMER_PASSWORD
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderLine as OrderLineRow
from apps.orders.models import OrderReadModel
from apps.outbox.models import OutboxEntry
from apps.platform.buses import command_bus
from apps.users.models import User as UserRow
from apps.users.models import UserReadModel
from domain.billing.commands import RefundInvoice
from domain.kernel.result import Err
from domain.orders.commands import CancelOrder, ShipOrder
from domain.users.commands import AuthenticateUser
from tests.support.commands import dispatch
from tests.support.events import deliver_events

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_db", *args, stdout=out)
    return out.getvalue()


def test_orders_end_in_every_state_with_invoices_to_match():
    call_command("seed_demo", stdout=StringIO())

    output = seed("--orders", "12", "--customers", "2", "--seed", "7")

    statuses = Counter(OrderReadModel.objects.values_list("status", flat=True))
    assert statuses == {"pending_payment": 4, "paid": 2, "shipped": 2, "cancelled": 2, "refunded": 2}
    invoices = dict(InvoiceReadModel.objects.values_list("order_id", "status"))
    orders = dict(OrderReadModel.objects.values_list("id", "status"))
    expected_invoice = {"pending_payment": "open", "paid": "paid", "shipped": "paid", "cancelled": "void"}
    expected_invoice["refunded"] = "refunded"
    assert {order_id: invoices[order_id] for order_id in orders} == {
        order_id: expected_invoice[status] for order_id, status in orders.items()
    }
    assert set(OrderReadModel.objects.values_list("customer_email", flat=True)) == {
        "customer@orderflow.test",
        "customer01@orderflow.test",
    }
    assert output.splitlines()[-1] == (
        "seeded 12 order(s) for 2 customer(s): cancelled 2, paid 2, pending_payment 4, refunded 2, shipped 2"
    )


def test_if_empty_leaves_existing_orders_alone():
    call_command("seed_demo", stdout=StringIO())
    seed("--orders", "6", "--customers", "1")

    assert seed("--orders", "6", "--if-empty").strip() == "orders exist already; nothing seeded"
    assert OrderReadModel.objects.count() == 6


def test_without_a_staff_account_it_stops_before_writing_anything():
    with pytest.raises(CommandError) as refused:
        seed("--orders", "3")

    assert str(refused.value) == "no staff account to ship and refund with; run `manage.py seed_demo` first"
    assert not OrderReadModel.objects.exists()


@pytest.mark.parametrize("option", ["--orders", "--customers"])
def test_counts_must_be_positive(option):
    with pytest.raises(CommandError, match="must be at least 1"):
        seed(option, "0")


# --bulk: the same orders, written in batches


ORDER_TIMES = ("placed_at", "paid_at", "shipped_at", "cancelled_at", "refunded_at")
INVOICE_TIMES = ("issued_at", "paid_at", "voided_at", "refunded_at")


def shape(order_id: uuid.UUID) -> tuple[Any, ...]:
    """What an order in some state looks like across every table, without its ids, amounts and times."""
    order = OrderRow.objects.get(pk=order_id)
    read = OrderReadModel.objects.get(pk=order_id)
    invoice = InvoiceRow.objects.get(order_id=order_id)
    invoice_read = InvoiceReadModel.objects.get(pk=invoice.id)
    lines = list(OrderLineRow.objects.filter(order_id=order_id).order_by("position"))
    payments = PaymentRow.objects.filter(invoice_id=invoice.id).order_by("position")
    events = OutboxEntry.objects.filter(aggregate_id__in=[order_id, invoice.id]).order_by(
        "created_at", "aggregate_version"
    )
    assert read.total == invoice.amount == invoice_read.amount == sum(line.unit_price * line.quantity for line in lines)
    assert read.item_count == sum(line.quantity for line in lines)
    assert read.invoice_id == invoice.id
    assert invoice_read.order_id == order_id
    assert [p["payment_id"] for p in read.payments] == [p["payment_id"] for p in invoice_read.payments]
    return (
        (order.status, order.version, order.invoice_id is not None, order.cancellation_reason),
        tuple(name for name in ORDER_TIMES if getattr(order, name) is not None),
        (read.status, read.version, read.invoice_status, read.invoice_version),
        tuple(name for name in ORDER_TIMES if getattr(read, name) is not None),
        tuple((p["status"], p["reason"], sorted(p)) for p in read.payments),
        (invoice.status, invoice.version, invoice.void_reason, invoice.refund_reason, bool(invoice.provider_refund_id)),
        tuple(name for name in INVOICE_TIMES if getattr(invoice, name) is not None),
        tuple(payments.values_list("position", "status", "reason")),
        (invoice_read.status, invoice_read.version, tuple(p["status"] for p in invoice_read.payments)),
        tuple(name for name in INVOICE_TIMES if getattr(invoice_read, name) is not None),
        tuple(events.values_list("event_type", "aggregate_version", "status")),
    )


def read_tables() -> dict[str, list[dict[str, Any]]]:
    return {
        "orders_read": list(OrderReadModel.objects.order_by("id").values()),
        "invoices_read": list(InvoiceReadModel.objects.order_by("id").values()),
        "users_read": list(UserReadModel.objects.order_by("id").values()),
    }


def test_bulk_orders_look_like_the_command_bus_ones_in_every_table():
    call_command("seed_demo", stdout=StringIO())
    seed("--orders", "6", "--customers", "1", "--seed", "3")
    by_bus = set(OrderRow.objects.values_list("id", flat=True))

    output = seed("--orders", "6", "--customers", "1", "--seed", "3", "--bulk")

    in_bulk = set(OrderRow.objects.values_list("id", flat=True)) - by_bus
    assert len(in_bulk) == 6
    assert sorted(map(repr, map(shape, in_bulk))) == sorted(map(repr, map(shape, by_bus)))
    assert set(OutboxEntry.objects.filter(aggregate_id__in=in_bulk).values_list("status", flat=True)) == {"processed"}
    assert output.splitlines()[-1] == (
        "seeded 6 order(s) for 1 customer(s) in bulk: cancelled 1, paid 1, pending_payment 2, refunded 1, shipped 1"
    )


def test_bulk_read_rows_are_what_the_projections_make_of_the_outbox_history():
    call_command("seed_demo", stdout=StringIO())
    deliver_events()  # the demo accounts' own history, so that a rebuild has it too
    seed("--orders", "40", "--customers", "5", "--seed", "11", "--bulk", "--batch-size", "7")
    loaded = read_tables()
    assert len(loaded["orders_read"]) == len(loaded["invoices_read"]) == 40
    assert {row["email"] for row in loaded["users_read"]} >= {"customer04@orderflow.test", "staff@orderflow.test"}

    err = StringIO()
    call_command("rebuild_read_models", stdout=StringIO(), stderr=err)

    assert err.getvalue() == ""
    assert read_tables() == loaded


def test_customers_loaded_in_bulk_can_sign_in_like_the_others():
    call_command("seed_demo", stdout=StringIO())
    seed("--orders", "3", "--customers", "3", "--bulk")

    user = dispatch(AuthenticateUser(email="customer02@orderflow.test", password=CUSTOMER_PASSWORD))

    row = UserRow.objects.get(pk=user.id)
    assert (row.display_name, row.is_active, row.is_staff, row.version) == ("Customer02", True, False, 2)
    assert UserRow.objects.get(email="customer@orderflow.test").display_name == "Demo Customer"  # reused, not copied


def test_a_bulk_loaded_order_moves_on_through_the_bus_and_its_read_row_follows():
    call_command("seed_demo", stdout=StringIO())
    seed("--orders", "6", "--customers", "1", "--bulk")
    staff = UserRow.objects.get(email="staff@orderflow.test")
    by_outcome = {
        row.status: row for row in OrderReadModel.objects.all() if not row.payments or row.status != "pending_payment"
    }
    pending, paid = by_outcome["pending_payment"], by_outcome["paid"]
    other_paid = OrderReadModel.objects.filter(status="shipped").get()

    dispatch(CancelOrder(order_id=pending.id, requested_by=pending.customer_id, reason="Changed my mind."))
    dispatch(RefundInvoice(invoice_id=paid.invoice_id, requested_by=staff.id, reason="Never arrived."))
    refused = command_bus().dispatch(ShipOrder(order_id=other_paid.id, shipped_by=staff.id))
    deliver_events()

    assert isinstance(refused, Err)  # shipped already: the bulk-loaded state is the domain's
    cancelled = OrderReadModel.objects.get(pk=pending.id)
    assert (cancelled.status, cancelled.version, cancelled.invoice_status, cancelled.invoice_version) == (
        "cancelled", 2, "void", 2,
    )  # fmt: skip
    refunded = OrderReadModel.objects.get(pk=paid.id)
    assert (refunded.status, refunded.version, refunded.invoice_status, refunded.invoice_version) == (
        "refunded", 3, "refunded", 3,
    )  # fmt: skip
    assert InvoiceReadModel.objects.get(pk=paid.invoice_id).status == "refunded"
    assert OrderRow.objects.get(pk=paid.id).version == 3


def test_bulk_orders_are_spread_over_the_past_year_across_customers():
    call_command("seed_demo", stdout=StringIO())
    before = timezone.now()
    seed("--orders", "60", "--customers", "4", "--bulk")

    placed = sorted(OrderReadModel.objects.values_list("placed_at", flat=True))
    assert placed[-1] - placed[0] > timedelta(days=300)
    latest = max(max(filter(None, row)) for row in OrderRow.objects.values_list(*ORDER_TIMES))
    assert latest < before
    assert Counter(OrderReadModel.objects.values_list("customer_email", flat=True)) == {
        "customer@orderflow.test": 15, "customer01@orderflow.test": 15,
        "customer02@orderflow.test": 15, "customer03@orderflow.test": 15,
    }  # fmt: skip


def test_one_seed_gives_the_same_orders_whatever_the_batches():
    customers = (bulk_seed.Customer(uuid.uuid4(), "a@orderflow.test"), bulk_seed.Customer(uuid.uuid4(), "b@x.test"))
    plan = bulk_seed.Plan(count=30, customers=customers, staff_id=uuid.uuid4(), now=timezone.now(), seed=5)

    def content(rows: list[bulk_seed.Rows]) -> list[tuple[Any, ...]]:
        return [
            (row.customer_email, row.status, row.total, row.lines, row.placed_at, [p["at"] for p in row.payments])
            for batch in rows
            for row in batch.of(OrderReadModel)
        ]

    whole = content([plan.batch(range(30))])
    assert content([plan.batch(numbers) for numbers in bulk_seed.batches(30, 7)]) == whole
    assert content([bulk_seed.Plan(**{**plan.__dict__, "seed": 6}).batch(range(30))]) != whole


def test_if_empty_applies_to_the_bulk_load_too():
    call_command("seed_demo", stdout=StringIO())
    seed("--orders", "6", "--customers", "1", "--bulk")

    assert seed("--orders", "6", "--bulk", "--if-empty").strip() == "orders exist already; nothing seeded"
    assert OrderReadModel.objects.count() == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "10"], "--batch-size applies to --bulk only"),
        (["--jobs", "2"], "--jobs applies to --bulk only"),
        (["--bulk", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["--bulk", "--jobs", "0"], "--jobs must be at least 1"),
        (["--bulk", "--orders", "0"], "--orders and --customers must be at least 1"),
    ],
)
def test_bad_bulk_arguments_are_refused_before_anything_is_written(args, message):
    call_command("seed_demo", stdout=StringIO())

    with pytest.raises(CommandError) as refused:
        seed(*args)

    assert str(refused.value) == message
    assert not OrderRow.objects.exists()


def test_on_the_command_line_a_bad_argument_is_one_line_and_a_non_zero_exit():
    done = subprocess.run(
        [sys.executable, "manage.py", "seed_db", "--bulk", "--batch-size", "0"],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        timeout=120,
        check=False,
    )

    assert done.returncode == 1
    assert done.stderr == "orderflow: --batch-size must be at least 1\n"


def test_a_database_error_stops_the_load_with_one_line_keeping_the_committed_batches(monkeypatch):
    call_command("seed_demo", stdout=StringIO())
    in_use = type(bulk_seed.writer())  # COPY on PostgreSQL, INSERT on SQLite
    real = in_use.write
    batches = Counter[str]()

    def failing_on_the_second_batch(self, rows):
        if rows.of(OrderRow):
            batches["orders"] += 1
            if batches["orders"] == 2:
                raise IntegrityError("duplicate key value violates unique constraint\nDETAIL: on two lines")
        real(self, rows)

    monkeypatch.setattr(in_use, "write", failing_on_the_second_batch)

    with pytest.raises(CommandError) as stopped:
        seed("--orders", "12", "--customers", "2", "--bulk", "--batch-size", "5")

    assert str(stopped.value) == (
        "bulk load stopped after 5 of 12 order(s) (those are committed): "
        "IntegrityError: duplicate key value violates unique constraint DETAIL: on two lines"
    )
    assert OrderRow.objects.count() == OrderReadModel.objects.count() == InvoiceRow.objects.count() == 5
