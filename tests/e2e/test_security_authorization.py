"""OWASP API1 (object level), API3 (object property level) and API5 (function level) authorization over HTTP:
another customer's orders and invoices do not exist for you, fields you may not set are ignored, and the staff
endpoints refuse customers."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from apps.billing.models import Invoice as InvoiceRow
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderReadModel
from apps.platform.buses import command_bus
from apps.users.models import User as UserRow
from domain.billing.commands import CapturePayment, IssueInvoice
from domain.kernel.result import Ok
from domain.orders.commands import MarkOrderPaid
from tests.support.commands import dispatch
from tests.support.effects import assert_audit_chain_intact, audit_outcomes, outbox_events
from tests.support.events import deliver_events
from tests.support.http import account, assert_problem

pytestmark = pytest.mark.django_db

VERSIONS = ["v1", "v2"]
ORDER = {"currency": "EUR", "items": [{"sku": "book-123", "quantity": 2, "unit_price": "12.30"}]}
NO_SUCH_ORDER = "No order has this id."


def lacks(permission: str) -> str:
    return f"Your roles do not allow this (it takes the permission {permission})."


@pytest.fixture
def staff(api):
    return account(api, "boss@example.com", role="admin")


def place(api, who: dict, version: str = "v2") -> str:
    response = api.post(f"/api/{version}/orders", ORDER, format="json", **who["auth"])
    assert response.status_code == 201, response.content
    deliver_events()
    return response.json()["id"]


def paid_invoice(customer: dict) -> uuid.UUID:
    result = command_bus().dispatch(
        IssueInvoice(
            order_id=uuid.uuid4(), customer_id=uuid.UUID(customer["id"]), amount=Decimal("9.90"), currency="EUR"
        )
    )
    assert isinstance(result, Ok)
    invoice_id = result.value.id
    assert isinstance(command_bus().dispatch(CapturePayment(invoice_id, "pi_x", Decimal("9.90"), "EUR")), Ok)
    deliver_events()
    return invoice_id


# --- API1: object level authorization ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_another_customers_order_cannot_be_read_listed_or_cancelled(api, ann, bob, version):
    order_id = place(api, ann)

    read = api.get(f"/api/{version}/orders/{order_id}", **bob["auth"])
    listed = api.get(f"/api/{version}/orders", {"page_size": 100}, **bob["auth"])
    cancel = api.post(f"/api/{version}/orders/{order_id}/cancel", {}, format="json", **bob["auth"])

    assert assert_problem(read, 404, "not-found")["detail"] == NO_SUCH_ORDER
    assert listed.status_code == 200
    assert order_id not in {order["id"] for order in listed.json()["results"]}
    assert assert_problem(cancel, 404, "not-found")["detail"] == NO_SUCH_ORDER
    assert OrderRow.objects.get(pk=order_id).status == "pending_payment"
    assert outbox_events(order_id) == ["orders.order_placed"]
    assert audit_outcomes("CancelOrder") == ["refused: OrderNotFoundError"]
    assert_audit_chain_intact()
    assert api.get(f"/api/{version}/orders/{order_id}", **ann["auth"]).status_code == 200


@pytest.mark.parametrize("version", VERSIONS)
def test_another_customers_invoice_cannot_be_read_listed_or_refunded(api, ann, bob, version):
    invoice_id = paid_invoice(ann)

    read = api.get(f"/api/{version}/invoices/{invoice_id}", **bob["auth"])
    listed = api.get(f"/api/{version}/invoices", {"page_size": 100}, **bob["auth"])
    refund = api.post(
        f"/api/{version}/invoices/{invoice_id}/refund", {"reason": "mine now"}, format="json", **bob["auth"]
    )

    assert_problem(read, 404, "not-found")
    assert str(invoice_id) not in {invoice["id"] for invoice in listed.json()["results"]}
    # Refunds are staff-only: a customer is refused before any invoice is looked up, whose ever it is.
    assert assert_problem(refund, 403, "permission-denied")["detail"] == lacks("billing.refund_invoice")
    assert InvoiceRow.objects.get(pk=invoice_id).status == "paid"
    assert outbox_events(invoice_id) == ["billing.invoice_issued", "billing.payment_captured"]
    assert audit_outcomes("RefundInvoice") == ["refused: AuthorizationError"]
    assert_audit_chain_intact()
    assert api.get(f"/api/{version}/invoices/{invoice_id}", **ann["auth"]).status_code == 200


@pytest.mark.parametrize("version", VERSIONS)
def test_a_customer_cannot_refund_even_their_own_invoice(api, ann, version):
    invoice_id = paid_invoice(ann)

    refund = api.post(
        f"/api/{version}/invoices/{invoice_id}/refund", {"reason": "please"}, format="json", **ann["auth"]
    )

    assert assert_problem(refund, 403, "permission-denied")["detail"] == lacks("billing.refund_invoice")
    assert InvoiceRow.objects.get(pk=invoice_id).status == "paid"
    assert outbox_events(invoice_id) == ["billing.invoice_issued", "billing.payment_captured"]
    assert audit_outcomes("RefundInvoice") == ["refused: AuthorizationError"]
    assert_audit_chain_intact()


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_and_a_foreign_order_answer_alike(api, ann, bob, version):
    """Nothing tells an attacker whether an id exists: another customer's order and no order are the same 404."""
    order_id = place(api, ann)

    foreign = assert_problem(api.get(f"/api/{version}/orders/{order_id}", **bob["auth"]), 404, "not-found")
    unknown = assert_problem(api.get(f"/api/{version}/orders/{uuid.uuid4()}", **bob["auth"]), 404, "not-found")

    assert (foreign["detail"], foreign["type"]) == (unknown["detail"], unknown["type"])
    assert foreign["detail"] == NO_SUCH_ORDER


# --- API3: object property level authorization ------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_fields_a_customer_may_not_set_are_ignored_when_placing_an_order(api, ann, bob, version):
    extra = {
        "id": str(uuid.uuid4()),
        "status": "shipped",
        "customer_id": bob["id"],
        "owner": bob["id"],
        "user_id": bob["id"],
        "total": "0.01",
        "total_amount": "0.01",
        "amount": {"amount": "0.01", "currency": "EUR"},
        "invoice_status": "paid",
        "is_staff": True,
        "role": "admin",
        "created_at": "2000-01-01T00:00:00Z",
    }
    body = {**ORDER, **extra, "items": [{**ORDER["items"][0], "total": "0.01", "line_total": "0.01"}]}

    response = api.post(f"/api/{version}/orders", body, format="json", **ann["auth"])

    assert response.status_code == 201, response.content
    deliver_events()
    stored = OrderRow.objects.get(pk=response.json()["id"])
    shown = OrderReadModel.objects.get(pk=stored.pk)
    assert str(stored.pk) != extra["id"]
    assert stored.status == shown.status == "pending_payment"
    assert str(stored.customer_id) == str(shown.customer_id) == ann["id"]
    assert shown.total == Decimal("24.60")
    assert shown.lines[0]["line_total"] == "24.60"
    assert shown.invoice_status != "paid"
    assert stored.placed_at.year != 2000
    assert api.get(f"/api/{version}/orders/{stored.pk}", **bob["auth"]).status_code == 404


def test_a_profile_change_cannot_make_a_customer_staff_or_change_their_email(api, ann):
    response = api.patch(
        "/api/v1/users/me",
        {"display_name": "Ann", "is_staff": True, "is_superuser": True, "email": "root@example.com", "role": "admin"},
        format="json",
        **ann["auth"],
    )

    assert response.status_code == 200, response.content
    row = UserRow.objects.get(pk=ann["id"])
    assert (row.is_staff, row.is_superuser, row.email) == (False, False, "ann@example.com")


# --- API5: function level authorization -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_a_customer_on_the_staff_endpoints_is_403_and_nothing_changes(api, ann, bob, version):
    order_id = place(api, ann)
    dispatch(MarkOrderPaid(order_id=uuid.UUID(order_id), invoice_id=uuid.uuid4()))
    deliver_events()
    invoice_id = paid_invoice(ann)
    events_before = {aggregate: outbox_events(aggregate) for aggregate in (order_id, invoice_id, bob["id"])}

    ship = api.post(f"/api/{version}/orders/{order_id}/ship", **ann["auth"])
    refund = api.post(f"/api/{version}/invoices/{invoice_id}/refund", {"reason": "x"}, format="json", **ann["auth"])
    deactivate = api.post(f"/api/v1/users/{bob['id']}/deactivate", {"reason": "x"}, format="json", **ann["auth"])

    for response, permission in (
        (ship, "orders.ship_order"),
        (refund, "billing.refund_invoice"),
        (deactivate, "users.deactivate_user"),
    ):
        assert assert_problem(response, 403, "permission-denied")["detail"] == lacks(permission)
    assert OrderRow.objects.get(pk=order_id).status == "paid"
    assert InvoiceRow.objects.get(pk=invoice_id).status == "paid"
    assert UserRow.objects.get(pk=bob["id"]).is_active
    assert api.get("/api/v1/users/me", **bob["auth"]).status_code == 200
    assert {aggregate: outbox_events(aggregate) for aggregate in events_before} == events_before
    for command in ("ShipOrder", "RefundInvoice", "DeactivateUser"):
        assert audit_outcomes(command) == ["refused: AuthorizationError"]
    assert_audit_chain_intact()


@pytest.mark.parametrize("version", VERSIONS)
def test_staff_may_do_what_customers_may_not(api, ann, staff, version):
    order_id = place(api, ann)
    dispatch(MarkOrderPaid(order_id=uuid.UUID(order_id), invoice_id=uuid.uuid4()))
    deliver_events()

    assert api.post(f"/api/{version}/orders/{order_id}/ship", **staff["auth"]).status_code == 200


def test_without_a_token_every_endpoint_but_sign_in_and_sign_up_is_401(api, ann):
    order_id = place(api, ann)
    for method, url in [
        ("get", "/api/v1/users/me"),
        ("get", "/api/v1/orders"),
        ("get", f"/api/v2/orders/{order_id}"),
        ("post", f"/api/v2/orders/{order_id}/cancel"),
        ("get", "/api/v2/invoices"),
    ]:
        body = assert_problem(getattr(api, method)(url), 401, "not-authenticated")
        assert body["detail"] == "Authentication credentials were not provided."
    assert OrderRow.objects.get(pk=order_id).status == "pending_payment"
    assert outbox_events(order_id) == ["orders.order_placed"]
