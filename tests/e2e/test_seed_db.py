"""``manage.py seed_db``: demo orders in every state, made through the command bus and the event flow."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.billing.models import InvoiceReadModel
from apps.orders.models import OrderReadModel

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
