"""Webhooks API (v2 only): an integrator's endpoints, their deliveries and every attempt made.

Every use case goes through the buses in the caller's own name; the rules (``webhooks.manage_webhooks``,
the ``integrator`` role) are the bus's, so a caller without them gets 403 whatever they ask. A signing
secret appears in two answers only, subscribing and rotating, and never in a read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.validators import RegexValidator
from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.buses import command_bus, query_bus
from apps.platform.idempotency import HEADER as IDEMPOTENCY_HEADER
from apps.platform.idempotency import MAX_KEY_LENGTH as IDEMPOTENCY_KEY_LENGTH
from apps.platform.idempotency import idempotent
from apps.platform.openapi import WholeBodyPatchSchema, problems
from apps.platform.pagination import POSITIVE_INTEGER, OpaqueCursorPagination
from apps.platform.problems import problem_for_error
from apps.platform.ratelimit import limit_writes
from apps.platform.responses import query_filters, representation, validated
from apps.platform.serializers import StrictCharField, StrictIntegerField
from apps.webhooks import mapper, queries
from apps.webhooks.models import Delivery as DeliveryRow
from apps.webhooks.models import DeliveryStatus, DisableCause
from apps.webhooks.models import Endpoint as EndpointRow
from domain.kernel.result import Err, Ok, Result
from domain.webhooks import commands
from domain.webhooks.delivery import Delivery, webhook_id
from domain.webhooks.filters import EventTypeFilters
from domain.webhooks.handlers import EndpointWithSecret
from domain.webhooks.model import MAX_DESCRIPTION, MAX_REASON, MAX_ROTATION_OVERLAP, Endpoint, EndpointUrl

COMMON_ERRORS = (406, 413, 415, 429, 500)
TAGS = ["webhooks"]
ENDPOINT_ID = "6f1d2e3c-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
DELIVERY_ID = "0c5e8f2a-1b3d-5e7f-9a1b-2c3d4e5f6a7b"
EVENT_ID = "d4c3b2a1-9f8e-4d7c-8b6a-5f4e3d2c1b0a"
SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1cdT3dB3q7E="
#: The longest overlap a rotation accepts, in seconds (7 days).
MAX_OVERLAP_SECONDS = int(MAX_ROTATION_OVERLAP.total_seconds())
DEFAULT_OVERLAP_SECONDS = 86_400
#: A delivery as the paths name it: its UUID, or the ``webhook-id`` a receiver saw (``msg_`` and 32 hex digits).
DELIVERY_REFERENCE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|msg_[0-9a-f]{32}"
EVENT_TYPE_PATTERN = r"^[a-z_]+\.(?:[a-z_]+|\*)$"
# Some character that is not white space: a reason of spaces is no reason.
NOT_BLANK = RegexValidator(r"\S", message="Give a reason.")

IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_LENGTH, "pattern": "^[ -~]+$"},
    OpenApiParameter.HEADER,
    description=(
        "Optional. A retry with the same key and body gets the first response again (Idempotent-Replayed: true); "
        "the same key with another body is 422; a retry sent while the first request runs waits for its answer."
    ),
)
CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY, description="From a `next`/`previous` link."),
    OpenApiParameter("page_size", POSITIVE_INTEGER, OpenApiParameter.QUERY, description="20 by default, at most 100."),
]
DELIVERY_PATH_PARAMETER = OpenApiParameter(
    "delivery_id",
    {"type": "string", "pattern": f"^(?:{DELIVERY_REFERENCE})$"},
    OpenApiParameter.PATH,
    description="The delivery's id, or its webhook-id (`msg_` and 32 hexadecimal digits) as the receiver saw it.",
)


class DeliveryReferenceConverter:
    """``<delivery:delivery_id>``: a delivery's UUID or its webhook-id, both read as the delivery's UUID."""

    regex = DELIVERY_REFERENCE

    def to_python(self, value: str) -> UUID:
        return UUID(hex=value.removeprefix("msg_"))

    def to_url(self, value: UUID | str) -> str:
        return str(value)


# Input.


@extend_schema_field({"type": "array", "items": {"type": "string", "maxLength": 100, "pattern": EVENT_TYPE_PATTERN}})
class EventTypesField(serializers.ListField):
    """A JSON list of strings (one string alone is refused); which of them are offered is the domain's to say."""

    child = StrictCharField(max_length=100)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            allow_empty=False,
            min_length=1,
            max_length=EventTypeFilters.MAX,
            error_messages={
                "not_a_list": 'Give a list of event types, such as ["orders.*"].',
                "empty": "Choose at least one event type.",
                "min_length": "Choose at least one event type.",
                "max_length": "An endpoint has at most {max_length} event types.",
            },
            help_text=(
                "Exact event types from the catalogue (billing.payment_captured) or whole contexts (orders.*), "
                f"1 to {EventTypeFilters.MAX}."
            ),
            **kwargs,
        )


URL_HELP = (
    "An absolute https URL (http only where the installation allows it); its host must resolve to public addresses."
)


@extend_schema_serializer(
    component_name="SubscribeEndpointInput",
    examples=[
        OpenApiExample(
            "Orders and captured payments",
            request_only=True,
            value={
                "url": "https://erp.example.com/hooks/orderflow",
                "event_types": ["orders.*", "billing.payment_captured"],
                "description": "ERP order import",
            },
        )
    ],
)
class SubscribeEndpointInput(serializers.Serializer):
    url = StrictCharField(max_length=EndpointUrl.MAX_LENGTH, help_text=URL_HELP)
    event_types = EventTypesField()
    description = StrictCharField(
        max_length=MAX_DESCRIPTION, required=False, allow_blank=True, default="", help_text="Free text for people."
    )


@extend_schema_serializer(
    component_name="UpdateEndpointInput",
    examples=[OpenApiExample("New event types", request_only=True, value={"event_types": ["orders.*", "billing.*"]})],
)
class UpdateEndpointInput(serializers.Serializer):
    """Only what is given changes."""

    url = StrictCharField(max_length=EndpointUrl.MAX_LENGTH, required=False, help_text=URL_HELP)
    event_types = EventTypesField(required=False)
    description = StrictCharField(max_length=MAX_DESCRIPTION, required=False, allow_blank=True)


@extend_schema_serializer(
    component_name="RotateEndpointSecretInput",
    examples=[OpenApiExample("A day's overlap", request_only=True, value={"overlap_seconds": 86400})],
)
class RotateSecretInput(serializers.Serializer):
    overlap_seconds = StrictIntegerField(
        min_value=0,
        max_value=MAX_OVERLAP_SECONDS,
        required=False,
        default=DEFAULT_OVERLAP_SECONDS,
        help_text=(
            f"How long the previous secret keeps signing beside the new one: 0 to {MAX_OVERLAP_SECONDS} "
            f"seconds (7 days), {DEFAULT_OVERLAP_SECONDS} by default."
        ),
    )


@extend_schema_serializer(
    component_name="DisableEndpointInput",
    examples=[OpenApiExample("Maintenance", request_only=True, value={"reason": "Receiver down for maintenance"})],
)
class DisableEndpointInput(serializers.Serializer):
    reason = StrictCharField(max_length=MAX_REASON, validators=[NOT_BLANK], help_text="Why; kept with the endpoint.")


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """An ISO 8601 date and time with its offset (``2026-12-01T08:00:00+01:00``); a naive one is refused."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 date and time with its offset, such as 2026-12-01T08:00:00Z.",
        "naive": "A time must carry its time zone (Z or an offset such as +01:00).",
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(data.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail("naive")
        try:
            parsed.astimezone(UTC)  # a moment at the very edge of the calendar has no UTC time
        except OverflowError:
            self.fail("invalid")
        return parsed

    def to_representation(self, value: Any) -> str:
        return str(value.isoformat())


@extend_schema_serializer(
    component_name="RedeliverSinceInput",
    examples=[OpenApiExample("Since a morning", request_only=True, value={"since": "2026-12-01T08:00:00Z"})],
)
class RedeliverSinceInput(serializers.Serializer):
    since = AwareDateTimeField(
        help_text="Every finished delivery made at or after this time (ISO 8601, with its offset) is sent again."
    )


class EndpointFilters(serializers.Serializer):
    enabled = serializers.BooleanField(required=False, help_text="Only enabled (true) or disabled (false) ones.")


class DeliveryFilters(serializers.Serializer):
    endpoint = serializers.UUIDField(required=False, help_text="Only the deliveries to this endpoint.")
    status = serializers.ChoiceField(choices=queries.STATUSES, required=False, help_text="Only those in this status.")
    event_type = StrictCharField(
        max_length=100, required=False, trim_whitespace=False, help_text="Only those of this event type."
    )


# Output.


ENDPOINT_EXAMPLE = {
    "id": ENDPOINT_ID,
    "url": "https://erp.example.com/hooks/orderflow",
    "event_types": ["billing.payment_captured", "orders.*"],
    "description": "ERP order import",
    "enabled": True,
    "disabled_reason": "",
    "disabled_cause": None,
    "disabled_at": None,
    "failing_since": None,
    "subscribed_at": "2026-12-01T09:00:00Z",
    "secret_count": 1,
    "previous_secret_expires_at": None,
}
DELIVERY_EXAMPLE = {
    "id": DELIVERY_ID,
    "webhook_id": "msg_" + DELIVERY_ID.replace("-", ""),
    "endpoint_id": ENDPOINT_ID,
    "event_id": EVENT_ID,
    "event_type": "orders.order_placed",
    "occurred_at": "2026-12-01T10:00:00Z",
    "created_at": "2026-12-01T10:00:01Z",
    "status": "succeeded",
    "attempts": 2,
    "next_attempt_at": None,
    "last_attempt_at": "2026-12-01T10:00:07Z",
    "last_status": 200,
    "last_error": "",
}
ATTEMPT_EXAMPLE = {
    "attempted_at": "2026-12-01T10:00:07Z",
    "url": "https://erp.example.com/hooks/orderflow",
    "request_headers": {
        "webhook-id": DELIVERY_EXAMPLE["webhook_id"],
        "webhook-timestamp": "1764583207",
        "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
        "content-type": "application/json",
    },
    "status_code": 200,
    "error": "",
    "response_body": "ok",
    "response_truncated": False,
    "duration_ms": 84,
}


@extend_schema_serializer(
    component_name="WebhookEndpoint",
    examples=[OpenApiExample("An enabled endpoint", response_only=True, value=ENDPOINT_EXAMPLE)],
)
class EndpointOutput(serializers.Serializer):
    """An endpoint as its managers see it; its secrets are never shown, only how many sign now."""

    id = serializers.UUIDField()
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(help_text="Why it was disabled; empty while enabled.")
    disabled_cause = serializers.ChoiceField(
        choices=DisableCause.choices, allow_null=True, help_text="requested, failing or gone; null while enabled."
    )
    disabled_at = serializers.DateTimeField(allow_null=True)
    failing_since = serializers.DateTimeField(
        allow_null=True, help_text="The first failure of the current unbroken run of failed deliveries."
    )
    subscribed_at = serializers.DateTimeField()
    secret_count = serializers.IntegerField(
        help_text="How many secrets sign each delivery now: 2 during a rotation's overlap, else 1."
    )
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the rotated-out secret stops signing; null outside an overlap."
    )


@extend_schema_serializer(
    component_name="WebhookEndpointWithSecret",
    examples=[
        OpenApiExample(
            "Subscribed: the secret, shown this once",
            response_only=True,
            value={**ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE},
        )
    ],
)
class EndpointWithSecretOutput(EndpointOutput):
    secret = serializers.CharField(
        required=False,
        help_text="The signing secret (whsec_...), shown in this answer only: store it where the receiver reads it. "
        "Absent from a replayed answer (Idempotent-Replayed: true), which is never stored with its secret.",
    )


@extend_schema_serializer(component_name="WebhookAttempt")
class AttemptOutput(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="Where it was sent, without the query string.")
    request_headers = serializers.DictField(
        child=serializers.CharField(), help_text="The headers sent: signatures, never a secret."
    )
    status_code = serializers.IntegerField(allow_null=True, help_text="The receiver's status; null without an answer.")
    error = serializers.CharField(help_text="Why there was no answer (timeout, connection refused...); else empty.")
    response_body = serializers.CharField(help_text="The start of the answer's body.")
    response_truncated = serializers.BooleanField(help_text="Whether the body was longer than what is kept.")
    duration_ms = serializers.IntegerField()


@extend_schema_serializer(
    component_name="WebhookDelivery",
    examples=[OpenApiExample("Delivered at the second attempt", response_only=True, value=DELIVERY_EXAMPLE)],
)
class DeliveryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    webhook_id = serializers.CharField(help_text="The webhook-id header: msg_ and the id's 32 hexadecimal digits.")
    endpoint_id = serializers.UUIDField()
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField(help_text="Attempts made so far.")
    next_attempt_at = serializers.DateTimeField(allow_null=True, help_text="When the next attempt is due (pending).")
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status = serializers.IntegerField(allow_null=True, help_text="The receiver's status at the last attempt.")
    last_error = serializers.CharField(help_text="The last attempt's transport error, if it had no answer.")


@extend_schema_serializer(
    component_name="WebhookDeliveryWithAttempts",
    examples=[
        OpenApiExample(
            "Delivered, with its attempt",
            response_only=True,
            value={**DELIVERY_EXAMPLE, "attempts": 1, "attempt_history": [ATTEMPT_EXAMPLE]},
        )
    ],
)
class DeliveryDetailOutput(DeliveryOutput):
    attempt_history = AttemptOutput(many=True, help_text="Every attempt made, oldest first.")


@extend_schema_serializer(component_name="WebhookRedeliveryCount")
class RedeliveredOutput(serializers.Serializer):
    redelivered = serializers.IntegerField(help_text="How many finished deliveries are pending again.")


# From the rows the queries read and the aggregates the commands answer, to the shapes above.


def endpoint_data(endpoint: EndpointRow | Endpoint) -> dict[str, Any]:
    """What ``EndpointOutput`` shows of a row or an aggregate; the secrets counted, never copied."""
    now = timezone.now()
    if isinstance(endpoint, Endpoint):
        url, event_types = endpoint.url.value, list(endpoint.event_types.patterns)
        cause = endpoint.disabled_cause.value if endpoint.disabled_cause else None
        signing = endpoint.signing_secrets(now)
    else:
        url, event_types = endpoint.url, list(endpoint.event_types)
        cause = endpoint.disabled_cause or None
        signing = tuple(secret for secret in mapper.secrets_of(endpoint) if secret.signs_at(now))
    expiries = [secret.expires_at for secret in signing]
    rotated_out = [at for at in expiries if at is not None]
    return {
        "id": endpoint.id,
        "url": url,
        "event_types": event_types,
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_cause": cause,
        "disabled_at": endpoint.disabled_at,
        "failing_since": endpoint.failing_since,
        "subscribed_at": endpoint.subscribed_at,
        "secret_count": len(expiries),
        "previous_secret_expires_at": max(rotated_out) if rotated_out else None,
    }


def delivery_data(delivery: DeliveryRow | Delivery) -> dict[str, Any]:
    """What ``DeliveryOutput`` shows of a row or of the entity a redelivery answers."""
    if isinstance(delivery, Delivery):
        event_id, status = delivery.event_id, delivery.status.value
        last_error = delivery.last_error.value if delivery.last_error else ""
    else:
        event_id, status, last_error = delivery.message_id, delivery.status, delivery.last_error
    return {
        "id": delivery.id,
        "webhook_id": webhook_id(delivery.id),
        "endpoint_id": delivery.endpoint_id,
        "event_id": event_id,
        "event_type": delivery.event_type,
        "occurred_at": delivery.occurred_at,
        "created_at": delivery.created_at,
        "status": status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status": delivery.last_status,
        "last_error": last_error,
    }


def delivery_detail_data(delivery: DeliveryRow) -> dict[str, Any]:
    return {**delivery_data(delivery), "attempt_history": list(delivery.attempt_history.all())}


def _with_secret(answer: EndpointWithSecret) -> dict[str, Any]:
    return {**endpoint_data(answer.endpoint), "secret": answer.secret.value}


# Flows.


def _answer(
    result: Result[Any, Exception],
    request: Request,
    output: type[serializers.Serializer[Any]],
    shape: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """``status`` with ``shape(value)`` rendered by ``output``, or the problem for the ``Err``."""
    if isinstance(result, Err):
        return problem_for_error(result.error, request)
    return Response(representation(output)(shape(result.value)), status=status, headers=headers)


def _page(
    view: APIView,
    request: Request,
    result: Result[Any, Exception],
    output: type[serializers.Serializer[Any]],
    shape: Any,
    *,
    ordering: tuple[str, ...],
) -> Response:
    """One cursor page of ``result``'s rows in ``ordering`` (the query's own, ties broken by id)."""
    if isinstance(result, Err):
        return problem_for_error(result.error, request)
    paginator = OpaqueCursorPagination()
    paginator.ordering = ordering
    rows = paginator.paginate_queryset(result.value, request, view=view) or []
    render = representation(output)
    return paginator.get_paginated_response([render(shape(row)) for row in rows])


def _validated(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    """The body checked by ``serializer_class``; a 400 names the field, an item of a list by its field's name
    (``event_types``), as the domain names it."""
    try:
        return validated(serializer_class, request)
    except serializers.ValidationError as invalid:
        if not isinstance(invalid.detail, Mapping):
            raise
        raise serializers.ValidationError(
            {field: _messages(errors) for field, errors in invalid.detail.items()}
        ) from None


def _messages(errors: Any) -> list[str]:
    """Every message in ``errors``; one about the item at position ``i`` says which item (from 1)."""
    if isinstance(errors, Mapping):
        return [
            f"Item {int(key) + 1}: {message}" if str(key).isdigit() else message
            for key, value in errors.items()
            for message in _messages(value)
        ]
    if isinstance(errors, list):
        return [message for item in errors for message in _messages(item)]
    return [str(errors)]


def _location(request: Request, endpoint_id: UUID) -> dict[str, str]:
    return {"Location": f"{request.path.rstrip('/')}/{endpoint_id}"}


ENDPOINT_ERRORS = (401, 403, 404, *COMMON_ERRORS)


class EndpointsApi(APIView):
    """The organisation's webhook endpoints, newest first; subscribing a new one."""

    pagination_class = OpaqueCursorPagination  # the page's shape in the schema; ``_page`` pages the rows

    @extend_schema(
        operation_id="webhooks_v2_endpoints_list",
        tags=TAGS,
        parameters=[EndpointFilters, *CURSOR_PARAMETERS],
        responses={200: EndpointOutput(many=True), **problems(400, 401, 403, 404, *COMMON_ERRORS)},
        summary="List the webhook endpoints, newest first (needs webhooks.manage_webhooks)",
        description="Cursor-paginated (follow `next` / `previous`); `enabled` keeps the enabled or disabled ones.",
    )
    def get(self, request: Request, version: str) -> HttpResponseBase:
        filters = query_filters(EndpointFilters, request)
        result = query_bus().dispatch(queries.ListEndpoints(enabled=filters.get("enabled")))
        return _page(self, request, result, EndpointOutput, endpoint_data, ordering=("-subscribed_at", "-id"))

    @extend_schema(
        operation_id="webhooks_v2_endpoints_subscribe",
        tags=TAGS,
        request=SubscribeEndpointInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: EndpointWithSecretOutput, **problems(400, 401, 403, 422, *COMMON_ERRORS)},
        summary="Subscribe a URL to event types; the answer carries its signing secret, shown this once",
        description=(
            "400 names the field: a URL that is not https (unless the installation allows http) or whose host "
            "resolves to a loopback, private, link-local or otherwise internal address; an event type no offered "
            "event matches. The secret is in this answer only: a retry with the same Idempotency-Key (within its "
            "24 hours) answers the same endpoint without it, and no read shows it; rotate it to get a new one."
        ),
    )
    @limit_writes
    @idempotent(withheld=("secret",))
    def post(self, request: Request, version: str) -> Response:
        data = _validated(SubscribeEndpointInput, request)
        command = commands.SubscribeEndpoint(
            url=data["url"],
            event_types=tuple(data["event_types"]),
            description=data["description"],
            requested_by=request.user.id,
            allow_http=settings.WEBHOOKS_ALLOW_HTTP,
        )
        result = command_bus().dispatch(command)
        headers = _location(request, result.value.endpoint_id) if isinstance(result, Ok) else None
        return _answer(result, request, EndpointWithSecretOutput, _with_secret, status=201, headers=headers)


class EndpointDetailApi(APIView):
    """One endpoint (never its secrets); changing its URL, event types or description."""

    schema = WholeBodyPatchSchema()

    @extend_schema(
        operation_id="webhooks_v2_endpoints_retrieve",
        tags=TAGS,
        responses={200: EndpointOutput, **problems(*ENDPOINT_ERRORS)},
        summary="One webhook endpoint; its secrets are never shown, only how many sign now",
    )
    def get(self, request: Request, version: str, endpoint_id: UUID) -> Response:
        result = query_bus().dispatch(queries.GetEndpoint(endpoint_id=endpoint_id))
        return _answer(result, request, EndpointOutput, endpoint_data)

    @extend_schema(
        operation_id="webhooks_v2_endpoints_update",
        tags=TAGS,
        request=UpdateEndpointInput,
        responses={200: EndpointOutput, **problems(400, *ENDPOINT_ERRORS)},
        summary="Change an endpoint's URL, event types or description; what is left out stays",
        description="A new URL passes the same checks as at subscription, and so do new event types.",
    )
    @limit_writes
    def patch(self, request: Request, version: str, endpoint_id: UUID) -> Response:
        data = _validated(UpdateEndpointInput, request)
        command = commands.UpdateEndpoint(
            endpoint_id=endpoint_id,
            requested_by=request.user.id,
            url=data.get("url"),
            event_types=tuple(data["event_types"]) if "event_types" in data else None,
            description=data.get("description"),
            allow_http=settings.WEBHOOKS_ALLOW_HTTP,
        )
        return _answer(command_bus().dispatch(command), request, EndpointOutput, endpoint_data)


class RotateSecretApi(APIView):
    """A new signing secret, answered once; the previous one signs beside it for the overlap."""

    @extend_schema(
        operation_id="webhooks_v2_endpoints_rotate_secret",
        tags=TAGS,
        request=RotateSecretInput,
        responses={200: EndpointWithSecretOutput, **problems(400, *ENDPOINT_ERRORS)},
        summary="Rotate an endpoint's signing secret; the answer carries the new one, shown this once",
        description=(
            "During the overlap every delivery carries two signatures, one per secret; with 0 the previous "
            "secret stops at once."
        ),
    )
    @limit_writes
    def post(self, request: Request, version: str, endpoint_id: UUID) -> Response:
        data = _validated(RotateSecretInput, request)
        command = commands.RotateEndpointSecret(
            endpoint_id=endpoint_id, overlap_seconds=data["overlap_seconds"], requested_by=request.user.id
        )
        return _answer(command_bus().dispatch(command), request, EndpointWithSecretOutput, _with_secret)


class DisableEndpointApi(APIView):
    @extend_schema(
        operation_id="webhooks_v2_endpoints_disable",
        tags=TAGS,
        request=DisableEndpointInput,
        responses={200: EndpointOutput, **problems(400, *ENDPOINT_ERRORS)},
        summary="Stop deliveries to an endpoint, with a reason; its pending deliveries wait until it is enabled",
        description="Disabling a disabled endpoint changes nothing (its first reason stays).",
    )
    @limit_writes
    def post(self, request: Request, version: str, endpoint_id: UUID) -> Response:
        data = _validated(DisableEndpointInput, request)
        command = commands.DisableEndpoint(endpoint_id=endpoint_id, reason=data["reason"], requested_by=request.user.id)
        return _answer(command_bus().dispatch(command), request, EndpointOutput, endpoint_data)


class EnableEndpointApi(APIView):
    @extend_schema(
        operation_id="webhooks_v2_endpoints_enable",
        tags=TAGS,
        request=None,
        responses={200: EndpointOutput, **problems(*ENDPOINT_ERRORS)},
        summary="Deliver to an endpoint again, its run of failures forgotten",
        description="Events from now on are delivered; send the ones it missed with a redelivery.",
    )
    @limit_writes
    def post(self, request: Request, version: str, endpoint_id: UUID) -> Response:
        command = commands.EnableEndpoint(endpoint_id=endpoint_id, requested_by=request.user.id)
        return _answer(command_bus().dispatch(command), request, EndpointOutput, endpoint_data)


class RedeliverSinceApi(APIView):
    @extend_schema(
        operation_id="webhooks_v2_endpoints_redeliver",
        tags=TAGS,
        request=RedeliverSinceInput,
        responses={202: RedeliveredOutput, **problems(400, *ENDPOINT_ERRORS)},
        summary="Send again every finished delivery of an endpoint made since a moment",
        description="Deliveries still pending are left to their schedule. The answer says how many are sent again.",
        examples=[
            OpenApiExample("Three sent again", response_only=True, value={"redelivered": 3}, status_codes=["202"])
        ],
    )
    @limit_writes
    def post(self, request: Request, version: str, endpoint_id: UUID) -> Response:
        data = _validated(RedeliverSinceInput, request)
        command = commands.RedeliverSince(endpoint_id=endpoint_id, since=data["since"], requested_by=request.user.id)
        result = command_bus().dispatch(command)
        return _answer(result, request, RedeliveredOutput, lambda count: {"redelivered": count}, status=202)


class DeliveriesApi(APIView):
    """Deliveries, newest first; each delivery's attempts are in its own view."""

    pagination_class = OpaqueCursorPagination  # the page's shape in the schema; ``_page`` pages the rows

    @extend_schema(
        operation_id="webhooks_v2_deliveries_list",
        tags=TAGS,
        parameters=[DeliveryFilters, *CURSOR_PARAMETERS],
        responses={200: DeliveryOutput(many=True), **problems(400, 401, 403, 404, *COMMON_ERRORS)},
        summary="List webhook deliveries, newest first (needs webhooks.manage_webhooks)",
        description="Cursor-paginated; filters endpoint, status and event_type.",
    )
    def get(self, request: Request, version: str) -> HttpResponseBase:
        filters = query_filters(DeliveryFilters, request)
        query = queries.ListDeliveries(
            endpoint_id=filters.get("endpoint"), status=filters.get("status"), event_type=filters.get("event_type")
        )
        return _page(
            self, request, query_bus().dispatch(query), DeliveryOutput, delivery_data, ordering=("-created_at", "-id")
        )


class DeliveryDetailApi(APIView):
    @extend_schema(
        operation_id="webhooks_v2_deliveries_retrieve",
        tags=TAGS,
        parameters=[DELIVERY_PATH_PARAMETER],
        responses={200: DeliveryDetailOutput, **problems(*ENDPOINT_ERRORS)},
        summary="One delivery with every attempt made, by its id or its webhook-id",
    )
    def get(self, request: Request, version: str, delivery_id: UUID) -> Response:
        result = query_bus().dispatch(queries.GetDelivery(delivery_id=delivery_id))
        return _answer(result, request, DeliveryDetailOutput, delivery_detail_data)


class RedeliverDeliveryApi(APIView):
    @extend_schema(
        operation_id="webhooks_v2_deliveries_redeliver",
        tags=TAGS,
        request=None,
        parameters=[DELIVERY_PATH_PARAMETER],
        responses={202: DeliveryOutput, **problems(401, 403, 404, 409, *COMMON_ERRORS)},
        summary="Send a finished delivery again within seconds, with a fresh round of retries",
        description="409 while the delivery is still pending: it is being tried already.",
    )
    @limit_writes
    def post(self, request: Request, version: str, delivery_id: UUID) -> Response:
        command = commands.RedeliverDelivery(delivery_id=delivery_id, requested_by=request.user.id)
        return _answer(command_bus().dispatch(command), request, DeliveryOutput, delivery_data, status=202)
