"""Billing API, version 1: invoices (deprecated in favour of v2) and the payment provider's webhook.

Money is a decimal string beside its currency: ``"amount": "12.30", "currency": "EUR"``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.core.validators import RegexValidator
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import webhooks
from apps.billing.api.common import (
    COMMON_ERRORS,
    INVOICE_EXAMPLE,
    InvoiceFilters,
    detail_schema,
    list_response,
    one_invoice,
    page_of,
    refund,
    refund_schema,
)
from apps.observability.metrics import PAYMENT_WEBHOOKS
from apps.platform.openapi import CONDITIONAL_PARAMETERS, NOT_MODIFIED, problems
from apps.platform.pagination import POSITIVE_INTEGER, PagePagination
from apps.platform.problems import problem, problem_response
from apps.platform.ratelimit import limit_writes
from apps.platform.serializers import StrictCharField
from apps.platform.versioning import DeprecatedInV1

log = structlog.get_logger(__name__)

PAGE_PARAMETERS = [
    OpenApiParameter("page", POSITIVE_INTEGER, OpenApiParameter.QUERY, description="Page number, from 1."),
    OpenApiParameter("page_size", POSITIVE_INTEGER, OpenApiParameter.QUERY, description="Up to 100; default 20."),
]


class PaymentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    provider_payment_id = serializers.CharField()
    amount = serializers.CharField(help_text="Decimal string, to the currency's minor unit.")
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=("captured", "failed", "rejected"))
    reason = serializers.CharField(help_text="Why a payment failed or was rejected; empty when captured.")
    at = serializers.DateTimeField()


class InvoiceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    order_id = serializers.UUIDField()
    customer_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=("open", "paid", "void", "refunded"))
    amount = serializers.CharField(help_text="Decimal string, to the currency's minor unit.")
    currency = serializers.CharField(help_text="ISO 4217 code.")
    payments = PaymentOutput(many=True)
    issued_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    voided_at = serializers.DateTimeField(allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)


InvoicePage = page_of(InvoiceOutput, "InvoicePage", counted=True)


class InvoiceListApi(DeprecatedInV1, APIView):
    """The caller's invoices; deprecated: GET /api/v2/invoices is its successor."""

    pagination_class = PagePagination

    @extend_schema(
        operation_id="invoices_list_v1",
        tags=["invoices"],
        parameters=[InvoiceFilters, *PAGE_PARAMETERS, *CONDITIONAL_PARAMETERS],
        responses={200: InvoicePage, **NOT_MODIFIED, **problems(400, 401, 404, *COMMON_ERRORS)},
        summary="The invoices the caller may see, a page at a time (own, granted, or all with view_all_invoices)",
        examples=[
            OpenApiExample(
                "A page",
                value={"count": 1, "next": None, "previous": None, "results": [INVOICE_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, version: str) -> HttpResponseBase:
        return list_response(self, request, self.pagination_class(), InvoiceOutput)


class InvoiceDetailApi(DeprecatedInV1, APIView):
    """One invoice; deprecated: GET /api/v2/invoices/{invoice_id} is its successor."""

    @detail_schema("invoices_retrieve_v1", InvoiceOutput, INVOICE_EXAMPLE)
    def get(self, request: Request, version: str, invoice_id: UUID) -> HttpResponseBase:
        return one_invoice(request, invoice_id, InvoiceOutput)


class InvoiceRefundApi(DeprecatedInV1, APIView):
    """A refund (needs billing.refund_invoice); deprecated: POST /api/v2/invoices/{invoice_id}/refund succeeds it."""

    @refund_schema("invoices_refund_v1", InvoiceOutput, INVOICE_EXAMPLE)
    @limit_writes
    def post(self, request: Request, version: str, invoice_id: UUID) -> Response:
        return refund(request, invoice_id, InvoiceOutput)


class WebhookAck(serializers.Serializer):
    received = serializers.BooleanField()
    status = serializers.ChoiceField(
        choices=("received", "processed", "ignored", "failed"), help_text="What became of the event."
    )


# What ``webhooks.parse`` takes before it stores an event, for the schema only: the view reads the raw body,
# whose bytes the signature covers.
@extend_schema_serializer(component_name="WebhookEvent")
class WebhookEventInput(serializers.Serializer):
    """A payment provider's event, in Stripe's format: a non-blank id and type, other fields as the provider sends."""

    id = StrictCharField(max_length=255, validators=[RegexValidator(r"\S")], help_text="The provider's event id.")
    type = StrictCharField(max_length=255, validators=[RegexValidator(r"\S")], help_text="The event type.")
    data = serializers.DictField(required=False, help_text="The event's object (handled types read data.object).")


#: The metric's outcome for each status ``webhooks.process`` leaves a row in.
WEBHOOK_OUTCOMES = {"processed": "processed", "ignored": "ignored", "failed": "failed", "received": "waiting"}


class PaymentWebhookApi(APIView):
    """The payment provider's events, in Stripe's format and signature scheme.

    Not part of the versioned client API's lifecycle: the provider is configured
    with this one URL, so it has no v2 successor.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="webhooks_payments",
        tags=["webhooks"],
        request={"application/json": WebhookEventInput},
        parameters=[
            OpenApiParameter(
                webhooks.SIGNATURE_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<raw body>'>[,v1=...]",
            )
        ],
        responses={200: WebhookAck, **problems(400, 406, 413, 415, 500)},
        summary="Receive a payment provider event (Stripe format, signed)",
        description=(
            "Handles payment_intent.succeeded, payment_intent.payment_failed and charge.refunded, matched to "
            "an invoice by data.object.metadata.invoice_id. A bad or missing signature, or a timestamp older "
            "than 5 minutes, is a 400 and nothing is stored. An event id seen before is answered 200 again "
            "without a second effect; other event types are stored as ignored."
        ),
        examples=[
            OpenApiExample(
                "payment_intent.succeeded",
                request_only=True,
                value={
                    "id": "evt_1PqL2a2eZvKYlo2C",
                    "type": "payment_intent.succeeded",
                    "data": {
                        "object": {
                            "id": "pi_3PqL2a2eZvKYlo2C1x2y3z4w",
                            "object": "payment_intent",
                            "amount": 4250,
                            "amount_received": 4250,
                            "currency": "eur",
                            "metadata": {"invoice_id": "0b7c2f5e-3c1d-4f7a-9a55-0c6a2f1d9e10"},
                        }
                    },
                },
            ),
            OpenApiExample("Processed", value={"received": True, "status": "processed"}, response_only=True),
        ],
    )
    def post(self, request: Request, version: str) -> Response:
        # The media type without its parameters: Stripe sends "application/json; charset=utf-8".
        media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            PAYMENT_WEBHOOKS.labels("unsupported_media_type").inc()
            raise exceptions.UnsupportedMediaType(request.content_type or "none")
        payload = request.body
        try:
            webhooks.verify(payload, request.headers.get(webhooks.SIGNATURE_HEADER), settings.PAYMENT_WEBHOOK_SECRETS)
        except webhooks.WebhookRejected as exc:
            return self._rejected(request, exc, outcome="bad_signature")
        try:
            event = webhooks.parse(payload)
        except webhooks.WebhookRejected as exc:
            return self._rejected(request, exc, outcome="malformed")
        received = webhooks.store(event, payload)
        status = received.event.status
        if status == received.event.Status.RECEIVED:
            outcome = "waiting"  # the row stays received: a refund before its capture, or a crash (below)
            try:
                status = webhooks.process(received.event.pk)
                outcome = WEBHOOK_OUTCOMES.get(status, outcome)
            except Exception as exc:
                outcome = "crashed"
                # Stored and committed: the periodic task processes it again, so the provider need not retry.
                log.error(
                    "payment webhook processing crashed; it stays received",
                    provider_event_id=event["id"],
                    error=repr(exc),
                )
        else:
            outcome = "duplicate"
            if not received.first:
                log.info("payment webhook repeated; nothing done again", provider_event_id=event["id"], status=status)
        PAYMENT_WEBHOOKS.labels(outcome).inc()
        return Response({"received": True, "status": status})

    @staticmethod
    def _rejected(request: Request, exc: webhooks.WebhookRejected, *, outcome: str) -> Response:
        PAYMENT_WEBHOOKS.labels(outcome).inc()
        log.warning("payment webhook rejected", reason=str(exc))
        return problem_response(
            problem(400, f"The webhook was rejected: {exc}.", slug="webhook-rejected", instance=request.path)
        )
