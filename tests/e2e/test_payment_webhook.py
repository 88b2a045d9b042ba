"""POST /api/v1/webhooks/payments: Stripe-format events, signed as Stripe signs them.

Signatures here are computed with hmac/hashlib directly, not with the stripe
library the endpoint verifies with, so the scheme itself is under test.
"""

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import structlog
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.billing import tasks, webhooks
from apps.billing.models import InvoiceReadModel, WebhookEvent
from apps.billing.models import Payment as PaymentRow
from apps.messaging.registry import projection
from apps.platform.buses import command_bus
from domain.billing.commands import CapturePayment, IssueInvoice
from domain.kernel.result import Ok
from tests.support.events import deliver_events as deliver_all_events
from tests.support.http import assert_problem

INVOICES_READ = projection("invoices_read")

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/payments"
CURRENT_SECRET = "whsec_e2e_current"
OLD_SECRET = "whsec_e2e_previous"


@pytest.fixture(autouse=True)
def webhook_secrets(settings):
    settings.PAYMENT_WEBHOOK_SECRETS = [CURRENT_SECRET, OLD_SECRET]


@pytest.fixture
def invoice_id():
    result = command_bus().dispatch(
        IssueInvoice(order_id=uuid.uuid4(), customer_id=uuid.uuid4(), amount=Decimal("42.50"), currency="EUR")
    )
    assert isinstance(result, Ok)
    deliver_events()
    return result.value.id


def deliver_events() -> int:
    """Bring invoices_read up to date. The invoices here bill orders that were never placed, so the
    orders read model, which follows billing events too, is left out: it would wait for them in vain."""
    return deliver_all_events(INVOICES_READ.consumer)


def v1(body: bytes, secret: str, at: int) -> str:
    return hmac.new(secret.encode(), str(at).encode() + b"." + body, hashlib.sha256).hexdigest()


def signed(body: bytes, secret: str = CURRENT_SECRET, *, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    return f"t={at},v1={v1(body, secret, at)}"


def event(event_type: str, obj: dict, *, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()


def succeeded(invoice_id, *, amount: int = 4250, currency: str = "eur", payment_id: str = "pi_e2e_1", **kw) -> bytes:
    obj = {
        "id": payment_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "currency": currency,
        "status": "succeeded",
        "metadata": {"invoice_id": str(invoice_id)},
    }
    return event("payment_intent.succeeded", obj, **kw)


def post(api, body: bytes, header: str | None, *, content_type: str = "application/json; charset=utf-8"):
    """As Stripe sends it: the JSON media type with its charset parameter."""
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    response = api.post(URL, data=body, content_type=content_type, **extra)
    deliver_events()
    return response


def stored(body: bytes) -> WebhookEvent | None:
    return WebhookEvent.objects.filter(provider_event_id=json.loads(body)["id"]).first()


def invoice(invoice_id) -> InvoiceReadModel:
    return InvoiceReadModel.objects.get(pk=invoice_id)


def test_a_payment_webhook_costs_a_pinned_number_of_queries(api, invoice_id):
    body = succeeded(invoice_id)

    with CaptureQueriesContext(connection) as receiving:
        response = api.post(URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signed(body))
        statements = [query["sql"] for query in receiving.captured_queries]

    assert response.json() == {"received": True, "status": "processed"}
    # stored: the event's row in a savepoint pair; processed in another pair: the row locked, then the command
    # in a third (the invoice and its payments, the invoice's update, the payment, the outbox entry, the audit
    # entry, unsealed), the row's new status. The payments are read once, when the invoice is loaded.
    assert len(statements) == 15, "\n".join(statements)
    assert sum("payments" in sql and sql.lstrip().startswith("SELECT") for sql in statements) == 1


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/json", "Application/JSON"])
def test_a_signed_payment_intent_succeeded_pays_the_invoice(api, invoice_id, content_type):
    body = succeeded(invoice_id)

    response = post(api, body, signed(body), content_type=content_type)

    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "status": "processed"}
    row = stored(body)
    assert (row.status, row.type, row.payload, row.error) == (
        "processed",
        "payment_intent.succeeded",
        body.decode(),
        "",
    )
    assert row.processed_at is not None
    read = invoice(invoice_id)
    assert read.status == "paid"
    assert [(p["provider_payment_id"], p["amount"], p["currency"], p["status"]) for p in read.payments] == [
        ("pi_e2e_1", "42.50", "EUR", "captured")
    ]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body: (body.replace(b"4250", b"4251"), signed(body)), id="tampered body"),
        pytest.param(lambda body: (body, signed(body, "whsec_someone_else")), id="wrong secret"),
        pytest.param(lambda body: (body, signed(body, at=int(time.time()) - 301)), id="stale timestamp"),
        pytest.param(lambda body: (body, None), id="missing header"),
        pytest.param(lambda body: (body, "v1=abc"), id="no timestamp"),
    ],
)
def test_a_request_that_does_not_verify_is_a_400_and_nothing_is_stored(api, invoice_id, tamper):
    body, header = tamper(succeeded(invoice_id))

    with structlog.testing.capture_logs() as logs:
        response = post(api, body, header)

    assert_problem(response, 400, "webhook-rejected")
    assert stored(body) is None
    assert invoice(invoice_id).status == "open"
    rejected = [log for log in logs if log["event"] == "payment webhook rejected"]
    assert len(rejected) == 1
    assert rejected[0]["log_level"] == "warning"
    assert rejected[0]["reason"]


def test_a_stale_timestamp_is_named_as_the_reason(api, invoice_id):
    body = succeeded(invoice_id)

    response = post(api, body, signed(body, at=int(time.time()) - 301))

    assert "tolerance" in assert_problem(response, 400, "webhook-rejected")["detail"]


def test_a_timestamp_within_five_minutes_is_accepted(api, invoice_id):
    body = succeeded(invoice_id)

    assert post(api, body, signed(body, at=int(time.time()) - 280)).status_code == 200
    assert invoice(invoice_id).status == "paid"


def test_the_previous_secret_is_accepted_during_a_rotation(api, invoice_id):
    body = succeeded(invoice_id)

    response = post(api, body, signed(body, OLD_SECRET))

    assert response.status_code == 200
    assert invoice(invoice_id).status == "paid"


def test_several_v1_signatures_are_accepted_when_one_matches(api, invoice_id):
    body = succeeded(invoice_id)
    at = int(time.time())
    header = f"t={at},v1={v1(body, 'whsec_unknown', at)},v1={v1(body, CURRENT_SECRET, at)},v0=ignored"

    response = post(api, body, header)

    assert response.status_code == 200
    assert invoice(invoice_id).status == "paid"


def test_a_replayed_event_is_answered_200_without_a_second_effect(api, invoice_id):
    body = succeeded(invoice_id)
    post(api, body, signed(body))
    version = invoice(invoice_id).version

    again = post(api, body, signed(body))

    assert again.status_code == 200
    assert again.json() == {"received": True, "status": "processed"}
    assert WebhookEvent.objects.filter(provider_event_id=json.loads(body)["id"]).count() == 1
    assert PaymentRow.objects.filter(invoice_id=invoice_id).count() == 1
    assert invoice(invoice_id).version == version


def test_another_event_for_the_same_payment_has_no_second_effect(api, invoice_id):
    first, second = succeeded(invoice_id), succeeded(invoice_id)
    post(api, first, signed(first))

    assert post(api, second, signed(second)).json()["status"] == "processed"

    assert PaymentRow.objects.filter(invoice_id=invoice_id).count() == 1


@pytest.mark.parametrize(("amount", "currency"), [(4000, "eur"), (4250, "usd")])
def test_a_payment_of_another_amount_or_currency_is_rejected_and_the_invoice_stays_open(
    api, invoice_id, amount, currency
):
    body = succeeded(invoice_id, amount=amount, currency=currency)

    response = post(api, body, signed(body))

    assert response.json()["status"] == "processed"
    read = invoice(invoice_id)
    assert read.status == "open"
    (payment,) = read.payments
    assert payment["status"] == "rejected"
    assert "but the invoice is for 42.50 EUR" in payment["reason"]


def test_a_failed_payment_is_recorded_with_the_providers_message(api, invoice_id):
    obj = {
        "id": "pi_e2e_declined",
        "object": "payment_intent",
        "amount": 4250,
        "currency": "eur",
        "last_payment_error": {"message": "Your card was declined."},
        "metadata": {"invoice_id": str(invoice_id)},
    }
    body = event("payment_intent.payment_failed", obj)

    post(api, body, signed(body))

    read = invoice(invoice_id)
    assert read.status == "open"
    assert [(p["status"], p["reason"]) for p in read.payments] == [("failed", "Your card was declined.")]


def test_a_charge_refunded_refunds_the_paid_invoice(api, invoice_id):
    paid = succeeded(invoice_id)
    post(api, paid, signed(paid))
    charge = {
        "id": "ch_e2e_1",
        "object": "charge",
        "payment_intent": "pi_e2e_1",
        "amount": 4250,
        "amount_refunded": 4250,
        "currency": "eur",
        "refunded": True,
        "metadata": {"invoice_id": str(invoice_id)},
        "refunds": {"object": "list", "data": [{"id": "re_e2e_1", "amount": 4250}]},
    }
    body = event("charge.refunded", charge)

    assert post(api, body, signed(body)).json()["status"] == "processed"

    assert invoice(invoice_id).status == "refunded"


def test_a_refund_that_arrives_before_its_capture_waits_for_it(api, invoice_id):
    charge = {
        "id": "ch_e2e_2",
        "object": "charge",
        "payment_intent": "pi_e2e_1",
        "amount": 4250,
        "amount_refunded": 4250,
        "currency": "eur",
        "metadata": {"invoice_id": str(invoice_id)},
    }
    refund = event("charge.refunded", charge)

    early = post(api, refund, signed(refund))

    assert early.json() == {"received": True, "status": "received"}
    assert (stored(refund).status, stored(refund).processed_at) == ("received", None)
    assert invoice(invoice_id).status == "open"

    paid = succeeded(invoice_id)
    post(api, paid, signed(paid))
    call_command("process_webhook_events", stdout=StringIO())  # what beat runs every minute
    deliver_events()

    assert stored(refund).status == "processed"
    assert invoice(invoice_id).status == "refunded"


def test_a_refund_whose_capture_never_came_fails_after_a_day(api, invoice_id):
    charge = {"id": "ch_e2e_3", "object": "charge", "amount_refunded": 4250, "currency": "eur"}
    refund = event("charge.refunded", {**charge, "metadata": {"invoice_id": str(invoice_id)}})
    post(api, refund, signed(refund))
    WebhookEvent.objects.filter(pk=stored(refund).pk).update(received_at=timezone.now() - timedelta(hours=25))

    call_command("process_webhook_events", stdout=StringIO())

    row = stored(refund)
    assert row.status == "failed"
    assert "InvoiceNotPaidError" in row.error


def test_an_unknown_event_type_is_stored_as_ignored(api):
    body = event("customer.created", {"id": "cus_1", "object": "customer"})

    with structlog.testing.capture_logs() as logs:
        response = post(api, body, signed(body))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert stored(body).status == "ignored"
    assert any(log["event"].startswith("payment webhook of a type") for log in logs)


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({}, "metadata.invoice_id is missing"),
        ({"invoice_id": str(uuid.UUID(int=12345))}, "InvoiceNotFoundError"),
    ],
)
def test_an_event_that_matches_no_invoice_is_stored_as_failed_and_answered_200(api, metadata, reason):
    obj = {"id": "pi_x", "object": "payment_intent", "amount": 100, "currency": "eur", "metadata": metadata}
    body = event("payment_intent.succeeded", obj)

    with structlog.testing.capture_logs() as logs:
        response = post(api, body, signed(body))

    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    row = stored(body)
    assert row.status == "failed"
    assert reason in row.error
    assert any(log["event"] == "payment webhook could not be applied" and reason in log["reason"] for log in logs)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", json.dumps({"type": "payment_intent.succeeded"}).encode(), b'{"id": "evt_no_type"}'],
)
def test_a_signed_body_that_is_not_an_event_is_a_400(api, body):
    response = post(api, body, signed(body))

    assert_problem(response, 400, "webhook-rejected")
    assert not WebhookEvent.objects.exists()


def test_without_any_configured_secret_every_webhook_is_refused(api, settings, invoice_id):
    settings.PAYMENT_WEBHOOK_SECRETS = []
    body = succeeded(invoice_id)

    assert_problem(post(api, body, signed(body)), 400, "webhook-rejected")
    assert stored(body) is None


def test_a_crash_while_processing_leaves_the_event_received_for_the_command(api, invoice_id, monkeypatch, capsys):
    body = succeeded(invoice_id)

    def crash(*args, **kwargs):
        raise RuntimeError("database went away")

    with monkeypatch.context() as patched:
        patched.setattr(webhooks, "command_for", crash)
        response = post(api, body, signed(body))

    assert response.status_code == 200
    assert response.json()["status"] == "received"
    assert stored(body).status == "received"
    assert invoice(invoice_id).status == "open"

    call_command("process_webhook_events")
    deliver_events()

    assert stored(body).status == "processed"
    assert invoice(invoice_id).status == "paid"
    out = capsys.readouterr().out
    assert f"[1/1] {json.loads(body)['id']}: processed" in out
    assert "1 of 1 event(s) processed." in out


def test_the_provider_retrying_a_crashed_event_processes_it(api, invoice_id, monkeypatch):
    body = succeeded(invoice_id)
    with monkeypatch.context() as patched:
        patched.setattr(webhooks, "command_for", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
        post(api, body, signed(body))

    response = post(api, body, signed(body))

    assert response.json()["status"] == "processed"
    assert invoice(invoice_id).status == "paid"


def test_the_command_reports_a_crash_in_one_line_and_fails(invoice_id, monkeypatch, capsys):
    body = succeeded(invoice_id)
    webhooks.store(json.loads(body), body)
    monkeypatch.setattr(webhooks, "command_for", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))

    with pytest.raises(Exception, match=r"0 of 1 event\(s\) processed. 1 crashed"):
        call_command("process_webhook_events")

    assert "crashed, stays received: RuntimeError('boom')" in capsys.readouterr().err
    assert stored(body).status == "received"


def test_the_command_says_when_there_is_nothing_to_do(capsys):
    call_command("process_webhook_events")

    assert "No received payment webhook events to process." in capsys.readouterr().out


def test_the_webhook_has_no_v2_and_no_deprecation_headers(api, invoice_id):
    body = succeeded(invoice_id)

    response = post(api, body, signed(body))

    assert "Deprecation" not in response
    assert api.post("/api/v2/webhooks/payments", data=body, content_type="application/json").status_code == 404


def test_capture_through_the_bus_and_through_the_webhook_agree(api, invoice_id):
    """The webhook is one more caller of CapturePayment: the same payment through the bus changes nothing more."""
    body = succeeded(invoice_id)
    post(api, body, signed(body))

    result = command_bus().dispatch(CapturePayment(invoice_id, "pi_e2e_1", Decimal("42.50"), "EUR"))

    assert isinstance(result, Ok)
    assert PaymentRow.objects.filter(invoice_id=invoice_id).count() == 1


def test_a_body_that_is_not_declared_as_json_is_a_415_and_nothing_is_stored(api, invoice_id):
    body = succeeded(invoice_id)

    response = api.post(URL, data=body, content_type="text/plain", HTTP_STRIPE_SIGNATURE=signed(body))

    assert_problem(response, 415, "unsupported-media-type")
    assert stored(body) is None


def test_the_periodic_task_processes_received_events(invoice_id):
    body = succeeded(invoice_id)
    webhooks.store(json.loads(body), body)

    assert tasks.process_webhook_events() == 1
    deliver_events()

    assert stored(body).status == "processed"
    assert invoice(invoice_id).status == "paid"


def test_each_webhook_is_counted_by_its_outcome(api, invoice_id):
    def counted(outcome: str) -> float:
        return REGISTRY.get_sample_value("orderflow_payment_webhooks_total", {"outcome": outcome}) or 0.0

    outcomes = ("processed", "duplicate", "ignored", "malformed", "bad_signature", "unsupported_media_type")
    before = {outcome: counted(outcome) for outcome in outcomes}
    body = succeeded(invoice_id)
    unknown = event("customer.created", {"id": "cus_1"})
    not_an_event = b'{"type": "payment_intent.succeeded"}'

    assert post(api, body, signed(body)).json()["status"] == "processed"
    assert post(api, body, signed(body)).json()["status"] == "processed"  # the same event id again
    assert post(api, unknown, signed(unknown)).json()["status"] == "ignored"
    assert post(api, not_an_event, signed(not_an_event)).status_code == 400
    assert post(api, body, signed(body, "whsec_someone_else")).status_code == 400
    assert post(api, body, signed(body), content_type="text/plain").status_code == 415

    assert {outcome: counted(outcome) - before[outcome] for outcome in outcomes} == dict.fromkeys(outcomes, 1)
