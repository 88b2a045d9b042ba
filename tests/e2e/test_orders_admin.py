"""The orders back-office: orders_read listed, searched and shown read-only; actions go through the command bus."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderReadModel
from apps.users.models import User as UserRow
from domain.orders.commands import MarkOrderPaid, OrderItem, PlaceOrder
from tests.support.accounts import staff_row
from tests.support.commands import dispatch
from tests.support.constants import PASSWORD
from tests.support.events import deliver_events

CHANGELIST = "/admin/orders/orderreadmodel/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = UserRow.objects.create_superuser("boss@example.com", PASSWORD)
    client.force_login(staff)
    client.staff = staff
    return client


def place(email: str = "ann@example.com", sku: str = "BOOK-1") -> uuid.UUID:
    order = dispatch(
        PlaceOrder(
            customer_id=uuid.uuid4(),
            customer_email=email,
            currency="EUR",
            items=(OrderItem(sku=sku, quantity=2, unit_price=Decimal("3.50")),),
        )
    )
    deliver_events()
    return order.id


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_order_list_shows_searches_and_filters(staff_client):
    ann = place("ann@example.com")
    place("bob@example.com")

    listed = staff_client.get(CHANGELIST)
    found = staff_client.get(CHANGELIST, {"q": "ann@"})
    by_id = staff_client.get(CHANGELIST, {"q": str(ann)})
    paid = staff_client.get(CHANGELIST, {"status__exact": "paid"})

    assert listed.status_code == 200
    assert b"ann@example.com" in listed.content
    assert b"bob@example.com" in listed.content
    assert b'<td class="field-total_amount">7.00</td>' in listed.content
    assert b"bob@example.com" not in found.content
    assert b"ann@example.com" in by_id.content
    assert b"bob@example.com" not in by_id.content
    assert b"ann@example.com" not in paid.content


def test_the_detail_page_shows_lines_and_payments_and_edits_nothing(staff_client):
    order_id = place(sku="PEN-9")

    page = staff_client.get(f"{CHANGELIST}{order_id}/change/")
    posted = staff_client.post(f"{CHANGELIST}{order_id}/change/", {"status": "shipped"})

    assert page.status_code == 200
    assert b"PEN-9" in page.content
    assert b"No payment yet." in page.content
    assert b'name="status"' not in page.content
    assert posted.status_code == 403
    assert OrderReadModel.objects.get(pk=order_id).status == "pending_payment"
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403
    assert staff_client.get(f"{CHANGELIST}{order_id}/delete/").status_code == 403


def test_the_cancel_action_dispatches_cancel_order_and_reports_refusals_by_order(staff_client):
    pending = place()
    paid = place(sku="OTHER")
    dispatch(MarkOrderPaid(order_id=paid, invoice_id=uuid.uuid4()))
    deliver_events()

    response = staff_client.post(
        CHANGELIST, {"action": "cancel_orders", "_selected_action": [str(pending), str(paid)]}, follow=True
    )

    texts = messages_of(response)
    assert "1 order(s) cancelled." in texts
    assert any(text.startswith(f"Order {paid}:") and "paid" in text for text in texts)
    assert OrderRow.objects.get(pk=pending).status == "cancelled"
    assert OrderRow.objects.get(pk=paid).status == "paid"


def test_the_ship_action_ships_paid_orders_only(staff_client):
    pending = place()
    paid = place(sku="OTHER")
    dispatch(MarkOrderPaid(order_id=paid, invoice_id=uuid.uuid4()))

    response = staff_client.post(
        CHANGELIST, {"action": "ship_orders", "_selected_action": [str(pending), str(paid)]}, follow=True
    )

    texts = messages_of(response)
    assert "1 order(s) shipped." in texts
    assert any(text.startswith(f"Order {pending}:") for text in texts)
    assert OrderRow.objects.get(pk=paid).status == "shipped"
    assert OrderRow.objects.get(pk=pending).status == "pending_payment"


@pytest.mark.parametrize(
    ("role", "status", "actions"),
    [("admin", 200, {"cancel_orders", "ship_orders"}), ("billing_admin", 200, set()), ("support", 403, set())],
)
def test_the_roles_that_see_every_order_open_the_list_and_get_the_actions_they_may_take(client, role, status, actions):
    call_command("sync_roles", verbosity=0)
    member = staff_row(f"{role}@example.com", superuser=False)
    member.groups.add(Group.objects.get(name=role))
    client.force_login(member)
    place()

    response = client.get(CHANGELIST)

    assert response.status_code == status
    offered = {
        action for action in ("cancel_orders", "ship_orders") if f'value="{action}"'.encode() in response.content
    }
    assert offered == actions
