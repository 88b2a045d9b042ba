"""The back-office in a browser: sign in, act on an order, find the act in the audit trail."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.billing.models import Invoice
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderReadModel
from domain.billing.commands import CapturePayment
from domain.orders.commands import OrderItem, PlaceOrder
from tests.support.browser import search_admin, sign_in_to_admin
from tests.support.commands import dispatch
from tests.support.events import deliver_events

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ORDERS = "/admin/orders/orderreadmodel/"
AUDIT = "/admin/audit/auditentry/"


def paid_order() -> uuid.UUID:
    """An order placed, invoiced by billing and paid, as the events carry it (the back-office lists the read model)."""
    order = dispatch(
        PlaceOrder(
            customer_id=uuid.uuid4(),
            customer_email="ann@example.com",
            currency="EUR",
            items=(OrderItem(sku="BOOK-1", quantity=2, unit_price=Decimal("3.50")),),
        )
    )
    deliver_events()
    invoice = Invoice.objects.get(order_id=order.id)
    dispatch(CapturePayment(invoice.id, "pi_browser", Decimal("7.00"), "EUR"))
    deliver_events()
    assert OrderReadModel.objects.get(pk=order.id).status == "paid"
    return order.id


def test_an_order_shipped_with_the_admin_action_is_in_the_audit_trail_as_the_staff_member(
    page, page_problems, staff_member
):
    boss = staff_member("boss@example.com", role="admin")
    order_id = paid_order()

    sign_in_to_admin(page, "boss@example.com")
    page.goto(ORDERS)
    page.locator(f'input[name="_selected_action"][value="{order_id}"]').check()
    page.locator('select[name="action"]').select_option(label="Ship selected orders")
    page.get_by_role("button", name="Go").click()

    expect(page.locator(".messagelist")).to_contain_text("1 order(s) shipped.")
    assert OrderRow.objects.get(pk=order_id).status == "shipped"

    search_admin(page, AUDIT, str(order_id))
    entry = page.locator("#result_list tbody tr", has_text="ShipOrder")
    expect(entry).to_have_count(1)
    expect(entry.locator(".field-actor")).to_have_text(f"user:{boss.pk}")
    expect(entry.locator(".field-target_id")).to_have_text(str(order_id))
    expect(entry.locator(".field-outcome")).to_have_text("ok")
    assert not page_problems, "\n".join(page_problems)
