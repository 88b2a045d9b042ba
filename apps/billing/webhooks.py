"""Inbound payment webhooks in Stripe's format: verification, the inbox, and processing.

A webhook is acted on in three steps, each with its own guarantee:

1. ``verify`` checks the ``Stripe-Signature`` header (``t=<unix>,v1=<hex>[,v1=...]``,
   v1 = HMAC-SHA256 of ``"<t>.<raw body>"``) with Stripe's own library against
   every configured secret (so a rotation accepts old and new), in constant
   time, and refuses timestamps older than ``TOLERANCE_SECONDS``.
2. ``store`` keeps the raw body in ``webhook_events`` in a transaction of its
   own, once per provider event id: from then on the event cannot be lost.
3. ``process`` turns the event into a billing command and marks the row, in one
   transaction, so an event is acted on once. A crash in between leaves the row
   ``received``; ``process_received`` (the ``process_webhook_events`` command and
   a periodic task) picks it up again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import stripe
import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.billing.models import WebhookEvent
from apps.billing.provider import PAYMENT_PROVIDER, money_from_stripe
from apps.platform.buses import command_bus
from apps.security.actors import acting_as
from domain.billing.commands import CapturePayment, RecordPaymentFailure, RecordProviderRefund
from domain.billing.errors import InvoiceNotPaidError
from domain.billing.model import MAX_REASON
from domain.kernel.errors import InvalidValueError
from domain.kernel.messages import Command
from domain.kernel.result import Err

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
HANDLED_TYPES = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")
#: How long a refund that arrived before its payment's capture waits for it.
WAIT_FOR_CAPTURE = timedelta(hours=24)
WAITING_FOR_CAPTURE = "the refunded payment is not captured yet; tried again every minute"


class WebhookRejected(Exception):
    """The request is not a webhook we accept (bad signature, stale, malformed); nothing was stored."""


@dataclass(frozen=True)
class Received:
    """A stored webhook event and whether this request stored it (False: a repeat of an earlier one)."""

    event: WebhookEvent
    first: bool


def verify(payload: bytes, header: str | None, secrets: list[str]) -> None:
    """Raise ``WebhookRejected`` with the reason unless one of ``secrets`` signed ``payload`` recently."""
    if not header:
        raise WebhookRejected(f"the {SIGNATURE_HEADER} header is missing")
    if not secrets:
        raise WebhookRejected("no webhook secret is configured (PAYMENT_WEBHOOK_SECRETS)")
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejected("the body is not UTF-8") from None
    reasons = []
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError as exc:
            reasons.append(str(exc.user_message or exc))
            continue
        return
    # A stale timestamp is only reported once a secret matched: the more telling reason wins.
    raise WebhookRejected(next((reason for reason in reasons if "tolerance" in reason), reasons[-1]))


def parse(payload: bytes) -> dict[str, Any]:
    """The event as a dict with a string ``id`` and ``type``; ``WebhookRejected`` otherwise."""
    try:
        event = json.loads(payload)
    except ValueError:
        raise WebhookRejected("the body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookRejected("the body is not a JSON object")
    for field in ("id", "type"):
        if not isinstance(event.get(field), str) or not event[field].strip() or len(event[field]) > 255:
            raise WebhookRejected(f"the event has no {field!r}")
    return event


def store(event: dict[str, Any], payload: bytes) -> Received:
    """Keep the raw event, committed, once per provider event id."""
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                provider_event_id=event["id"],
                type=event["type"],
                payload=payload.decode("utf-8"),
                received_at=timezone.now(),
            )
        return Received(event=row, first=True)
    except IntegrityError:
        return Received(event=WebhookEvent.objects.get(provider_event_id=event["id"]), first=False)


def process(event_pk: int) -> str:
    """Act on a ``received`` event and record the outcome; returns the row's status afterwards.

    The command and the row's new status are committed together; another
    process working on the same row waits for it and then finds it done. An
    exception rolls both back and leaves the row ``received`` for a later run.
    """
    with transaction.atomic():
        row = WebhookEvent.objects.select_for_update().filter(pk=event_pk).first()
        if row is None or row.status != WebhookEvent.Status.RECEIVED:
            return row.status if row else ""
        with acting_as(PAYMENT_PROVIDER):  # a verified report of the provider, whoever triggers its processing
            outcome, error = _act(row, command_bus().dispatch)
        waiting = outcome == WebhookEvent.Status.RECEIVED
        row.status, row.error, row.processed_at = outcome, error, None if waiting else timezone.now()
        row.save(update_fields=["status", "error", "processed_at"])
    fields = {"provider_event_id": row.provider_event_id, "type": row.type}
    if outcome == WebhookEvent.Status.FAILED:
        log.warning("payment webhook could not be applied", reason=error, **fields)
    elif outcome == WebhookEvent.Status.IGNORED:
        log.info("payment webhook of a type billing does not handle ignored", **fields)
    elif outcome == WebhookEvent.Status.RECEIVED:
        log.info("payment webhook waits for an earlier one", reason=error, **fields)
    else:
        log.info("payment webhook processed", **fields)
    return outcome


def process_received(*, limit: int = 500) -> tuple[int, int]:
    """Process ``received`` events, oldest first; returns (processed, crashed).

    A crash on one event is logged in one line and leaves it ``received``;
    the others go on.
    """
    pending = list(
        WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).values_list("pk", flat=True)[:limit]
    )
    done = crashed = 0
    for pk in pending:
        try:
            process(pk)
            done += 1
        except Exception as exc:
            crashed += 1
            log.error("payment webhook processing crashed; it stays received", webhook_event=pk, error=repr(exc))
    return done, crashed


def process_again(event_pk: int) -> str:
    """Put a failed (or stuck) event back to ``received`` and process it now."""
    WebhookEvent.objects.filter(
        pk=event_pk, status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.RECEIVED]
    ).update(status=WebhookEvent.Status.RECEIVED, error="", processed_at=None)
    return process(event_pk)


def _act(row: WebhookEvent, dispatch: Any) -> tuple[str, str]:
    if row.type not in HANDLED_TYPES:
        return WebhookEvent.Status.IGNORED, f"billing does not handle {row.type} events"
    try:
        command = command_for(row.type, json.loads(row.payload))
    except (WebhookRejected, InvalidValueError) as exc:
        return WebhookEvent.Status.FAILED, str(exc)
    result = dispatch(command)
    if isinstance(result, Err):
        if _may_come_right(row, result.error):
            return WebhookEvent.Status.RECEIVED, WAITING_FOR_CAPTURE
        return WebhookEvent.Status.FAILED, f"{type(result.error).__name__}: {_describe(result.error)}"
    return WebhookEvent.Status.PROCESSED, ""


def _may_come_right(row: WebhookEvent, error: Exception) -> bool:
    """A refund of a payment not captured yet: the provider does not promise to send events in order.

    It stays ``received`` (the periodic task tries again every minute) for ``WAIT_FOR_CAPTURE``,
    then fails like any other event that cannot be applied.
    """
    return (
        row.type == "charge.refunded"
        and isinstance(error, InvoiceNotPaidError)
        and row.received_at > timezone.now() - WAIT_FOR_CAPTURE
    )


def command_for(event_type: str, event: dict[str, Any]) -> Command:
    """The billing command a handled event asks for; ``WebhookRejected`` when it lacks what it needs."""
    obj = event.get("data", {}).get("object") if isinstance(event.get("data"), dict) else None
    if not isinstance(obj, dict):
        raise WebhookRejected("the event has no data.object")
    invoice_id = _invoice_id(obj)
    currency = obj.get("currency")
    if not isinstance(currency, str):
        raise WebhookRejected("the event has no currency")
    match event_type:
        case "payment_intent.succeeded":
            amount = _money(obj.get("amount_received", obj.get("amount")), currency)
            return CapturePayment(
                invoice_id=invoice_id, provider_payment_id=_text(obj, "id"), amount=amount, currency=currency.upper()
            )
        case "payment_intent.payment_failed":
            error = obj.get("last_payment_error")
            message = error.get("message") if isinstance(error, dict) else None
            return RecordPaymentFailure(
                invoice_id=invoice_id,
                provider_payment_id=_text(obj, "id"),
                amount=_money(obj.get("amount"), currency),
                currency=currency.upper(),
                reason=str(message or "The payment provider reported the payment as failed.")[:MAX_REASON],
            )
        case "charge.refunded":
            return RecordProviderRefund(
                invoice_id=invoice_id,
                provider_refund_id=_refund_id(obj),
                amount=_money(obj.get("amount_refunded"), currency),
                currency=currency.upper(),
            )
    raise WebhookRejected(f"billing does not handle {event_type} events")


def _invoice_id(obj: dict[str, Any]) -> UUID:
    metadata = obj.get("metadata")
    raw = metadata.get("invoice_id") if isinstance(metadata, dict) else None
    if not raw:
        raise WebhookRejected("metadata.invoice_id is missing: the payment cannot be matched to an invoice")
    try:
        return UUID(str(raw))
    except ValueError:
        raise WebhookRejected(f"metadata.invoice_id {raw!r} is not an invoice id") from None


def _money(minor_units: Any, currency: str) -> Decimal:
    if isinstance(minor_units, bool) or not isinstance(minor_units, int):
        raise WebhookRejected("the event has no amount in minor units")
    return money_from_stripe(minor_units, currency).amount


def _text(obj: dict[str, Any], field: str) -> str:
    value = obj.get(field)
    if not isinstance(value, str) or not value:
        raise WebhookRejected(f"the event has no {field}")
    return value


def _refund_id(charge: dict[str, Any]) -> str:
    """The latest refund's id when the charge lists its refunds, else the charge's own id."""
    refunds = charge.get("refunds")
    data = refunds.get("data") if isinstance(refunds, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict) and isinstance(data[0].get("id"), str):
        return str(data[0]["id"])
    return _text(charge, "id")


def _describe(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if errors:
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    return str(error)
