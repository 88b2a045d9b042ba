"""Billing in the admin: read-only invoices, payments and webhooks; refunds and reprocessing as actions."""

import json
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from apps.billing.models import InvoiceReadModel, WebhookEvent
from apps.messaging.registry import projection
from apps.platform.buses import command_bus
from domain.billing.commands import CapturePayment, IssueInvoice
from domain.kernel.result import Ok
from tests.support.accounts import staff_row
from tests.support.events import deliver_events

INVOICES_READ = projection("invoices_read")

INVOICES = "/admin/billing/invoicereadmodel/"
PAYMENTS = "/admin/billing/payment/"
WEBHOOKS = "/admin/billing/webhookevent/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(staff_row("boss@example.com", "Boss", superuser=True))
    return client


def issue(*, paid: bool) -> uuid.UUID:
    result = command_bus().dispatch(IssueInvoice(uuid.uuid4(), uuid.uuid4(), Decimal("42.50"), "EUR"))
    assert isinstance(result, Ok)
    if paid:
        assert isinstance(
            command_bus().dispatch(CapturePayment(result.value.id, "pi_admin", Decimal("42.50"), "EUR")), Ok
        )
    deliver_events(INVOICES_READ.consumer)
    return result.value.id


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_invoices_are_listed_searchable_by_order_and_shown_with_their_payments(admin_client):
    invoice_id = issue(paid=True)
    order_id = InvoiceReadModel.objects.get(pk=invoice_id).order_id

    listed = admin_client.get(INVOICES, {"q": str(order_id)})
    detail = admin_client.get(f"{INVOICES}{invoice_id}/change/")

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [InvoiceReadModel.objects.get(pk=invoice_id)]
    assert detail.status_code == 200
    assert b"pi_admin" in detail.content
    assert b"captured" in detail.content
    assert b"42.50 EUR" in listed.content
    assert b'name="_save"' not in detail.content


@pytest.mark.parametrize("url", [INVOICES, PAYMENTS, WEBHOOKS])
def test_nothing_is_added_by_hand(admin_client, url):
    assert admin_client.get(f"{url}add/").status_code == 403


def test_the_refund_action_refunds_paid_invoices_and_reports_the_others(admin_client):
    paid, still_open = issue(paid=True), issue(paid=False)

    response = admin_client.post(
        INVOICES,
        {"action": "refund", "_selected_action": [str(paid), str(still_open)], "reason": "Goods returned."},
        follow=True,
    )
    deliver_events(INVOICES_READ.consumer)

    shown = messages_of(response)
    assert "1 invoice(s) refunded." in shown
    assert any(str(still_open) in message and "Only a paid invoice" in message for message in shown)
    assert InvoiceReadModel.objects.get(pk=paid).status == "refunded"
    assert InvoiceReadModel.objects.get(pk=still_open).status == "open"


def test_process_again_applies_a_failed_webhook_once_its_invoice_exists(admin_client, settings):
    invoice_id = issue(paid=False)
    body = {
        "id": "evt_admin",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {"id": "pi_1", "amount": 4250, "currency": "eur", "metadata": {"invoice_id": str(invoice_id)}}
        },
    }
    failed = WebhookEvent.objects.create(
        provider_event_id="evt_admin",
        type="payment_intent.succeeded",
        payload=json.dumps(body),
        received_at=timezone.now(),
        status=WebhookEvent.Status.FAILED,
        error="InvoiceNotFoundError: No invoice has this id.",
    )
    ignored = WebhookEvent.objects.create(
        provider_event_id="evt_other",
        type="customer.created",
        payload="{}",
        received_at=timezone.now(),
        status="ignored",
    )

    response = admin_client.post(
        WEBHOOKS, {"action": "process_again", "_selected_action": [failed.pk, ignored.pk]}, follow=True
    )
    deliver_events(INVOICES_READ.consumer)

    shown = messages_of(response)
    assert "1 event(s) processed." in shown
    assert "evt_other: ignored events are not processed again." in shown
    failed.refresh_from_db()
    assert (failed.status, failed.error) == ("processed", "")
    assert InvoiceReadModel.objects.get(pk=invoice_id).status == "paid"


def test_webhooks_are_filtered_by_status(admin_client):
    WebhookEvent.objects.create(
        provider_event_id="evt_a", type="x", payload="{}", received_at=timezone.now(), status="failed"
    )
    WebhookEvent.objects.create(
        provider_event_id="evt_b", type="x", payload="{}", received_at=timezone.now(), status="ignored"
    )

    response = admin_client.get(WEBHOOKS, {"status__exact": "failed"})

    assert [event.provider_event_id for event in response.context["cl"].result_list] == ["evt_a"]


@pytest.mark.parametrize(
    ("role", "status", "refund_offered"),
    [("admin", 200, True), ("billing_admin", 200, True), ("support", 403, False), ("auditor", 403, False)],
)
def test_the_roles_that_see_every_invoice_open_the_list_and_may_refund(client, role, status, refund_offered):
    call_command("sync_roles", verbosity=0)
    member = staff_row(f"{role}@example.com", superuser=False)
    member.groups.add(Group.objects.get(name=role))
    client.force_login(member)
    invoice = issue(paid=True)

    response = client.get(INVOICES)

    assert response.status_code == status
    assert (str(invoice).encode() in response.content) is (status == 200)
    assert (b'value="refund"' in response.content) is refund_offered
