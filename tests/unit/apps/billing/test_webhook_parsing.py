"""Signature verification and the mapping of provider events to billing commands (no database)."""

import hashlib
import hmac
import json
import time
import uuid
from decimal import Decimal

import pytest

from apps.billing import webhooks
from domain.billing.commands import CapturePayment, RecordPaymentFailure, RecordProviderRefund

SECRET = "whsec_unit"
INVOICE_ID = uuid.UUID("bbbbbbbb-0000-4000-8000-000000000001")


def signature(body: bytes, secret: str = SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def test_a_body_signed_with_a_configured_secret_verifies():
    webhooks.verify(b"{}", signature(b"{}"), ["whsec_other", SECRET])


@pytest.mark.parametrize(
    ("header", "secrets", "reason"),
    [
        (None, [SECRET], "header is missing"),
        (signature(b"{}"), [], "no webhook secret"),
        (signature(b"{}", "whsec_wrong"), [SECRET], "No signatures found matching"),
        (signature(b"{}", at=int(time.time()) - 301), [SECRET], "tolerance"),
        ("garbage", [SECRET], "Unable to extract"),
    ],
)
def test_what_does_not_verify_is_rejected_with_the_reason(header, secrets, reason):
    with pytest.raises(webhooks.WebhookRejected, match=reason):
        webhooks.verify(b"{}", header, secrets)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"type": "x"}', "'id'"),
        (b'{"id": "evt_1"}', "'type'"),
    ],
)
def test_a_body_that_is_not_an_event_is_rejected(body, reason):
    with pytest.raises(webhooks.WebhookRejected, match=reason):
        webhooks.parse(body)


def payment_intent(**extra):
    return {
        "data": {
            "object": {
                "id": "pi_1",
                "amount": 4250,
                "currency": "eur",
                "metadata": {"invoice_id": str(INVOICE_ID)},
                **extra,
            }
        }
    }


def test_payment_intent_succeeded_is_a_capture_in_major_units_and_upper_case_currency():
    assert webhooks.command_for("payment_intent.succeeded", payment_intent()) == CapturePayment(
        invoice_id=INVOICE_ID, provider_payment_id="pi_1", amount=Decimal("42.50"), currency="EUR"
    )


def test_a_zero_decimal_currency_keeps_its_amount():
    command = webhooks.command_for("payment_intent.succeeded", payment_intent(amount=1000, currency="jpy"))
    assert (command.amount, command.currency) == (Decimal("1000"), "JPY")


def test_payment_intent_payment_failed_carries_the_last_error_message():
    event = payment_intent(last_payment_error={"message": "Your card was declined."})

    assert webhooks.command_for("payment_intent.payment_failed", event) == RecordPaymentFailure(
        invoice_id=INVOICE_ID,
        provider_payment_id="pi_1",
        amount=Decimal("42.50"),
        currency="EUR",
        reason="Your card was declined.",
    )


def test_charge_refunded_is_a_provider_refund_of_the_amount_refunded():
    charge = {
        "data": {
            "object": {
                "id": "ch_1",
                "payment_intent": "pi_1",
                "amount": 4250,
                "amount_refunded": 4250,
                "currency": "eur",
                "metadata": {"invoice_id": str(INVOICE_ID)},
                "refunds": {"data": [{"id": "re_1"}]},
            }
        }
    }

    assert webhooks.command_for("charge.refunded", charge) == RecordProviderRefund(
        invoice_id=INVOICE_ID, provider_refund_id="re_1", amount=Decimal("42.50"), currency="EUR"
    )


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [({}, "metadata.invoice_id is missing"), ({"invoice_id": "INV-1"}, "not an invoice id")],
)
def test_an_event_without_a_usable_invoice_id_is_rejected(metadata, reason):
    event = json.loads(json.dumps(payment_intent(metadata=metadata)))
    with pytest.raises(webhooks.WebhookRejected, match=reason):
        webhooks.command_for("payment_intent.succeeded", event)
