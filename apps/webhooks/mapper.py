"""Between the webhooks tables and the Endpoint aggregate and Delivery entity; nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apps.webhooks.models import Delivery as DeliveryRow
from apps.webhooks.models import Endpoint as EndpointRow
from domain.webhooks.delivery import Delivery, DeliveryStatus, TransportError
from domain.webhooks.filters import EventTypeFilters
from domain.webhooks.model import DisableCause, Endpoint, EndpointUrl, SigningSecret


def endpoint_to_domain(row: EndpointRow) -> Endpoint:
    return Endpoint(
        id=row.id,
        # Stored URLs passed the checks once; a development endpoint may be plain http.
        url=EndpointUrl(row.url, allow_http=True),
        event_types=EventTypeFilters(row.event_types),
        description=row.description,
        secrets=secrets_of(row),
        subscribed_at=row.subscribed_at,
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        disabled_cause=DisableCause(row.disabled_cause) if row.disabled_cause else None,
        disabled_at=row.disabled_at,
        failing_since=row.failing_since,
        version=row.version,
    )


def endpoint_fields(endpoint: Endpoint) -> dict[str, Any]:
    """The columns of ``webhook_endpoints`` (all of them the aggregate's)."""
    return {
        "url": endpoint.url.value,
        "event_types": list(endpoint.event_types.patterns),
        "description": endpoint.description,
        "secrets": [
            {
                "value": secret.value,
                "created_at": secret.created_at.isoformat(),
                "expires_at": secret.expires_at.isoformat() if secret.expires_at else None,
            }
            for secret in endpoint.secrets
        ],
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_cause": endpoint.disabled_cause.value if endpoint.disabled_cause else "",
        "disabled_at": endpoint.disabled_at,
        "failing_since": endpoint.failing_since,
        "subscribed_at": endpoint.subscribed_at,
        "version": endpoint.version,
    }


def secrets_of(row: EndpointRow) -> list[SigningSecret]:
    """The row's signing secrets, the current one first (for whoever reads the row without the aggregate)."""
    return [_secret(item) for item in row.secrets]


def _secret(item: dict[str, Any]) -> SigningSecret:
    expires_at = item.get("expires_at")
    return SigningSecret(
        item["value"],
        datetime.fromisoformat(item["created_at"]),
        datetime.fromisoformat(expires_at) if expires_at else None,
    )


def delivery_to_domain(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.message_id,
        event_type=row.event_type,
        occurred_at=row.occurred_at,
        created_at=row.created_at,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        attempts_before_round=row.attempts_before_round,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_status=row.last_status,
        last_error=TransportError(row.last_error) if row.last_error else None,
    )


def delivery_fields(delivery: Delivery) -> dict[str, Any]:
    """The columns of ``webhook_deliveries`` the entity owns (not ``leased_until``, the sender's)."""
    return {
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "attempts_before_round": delivery.attempts_before_round,
        "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error.value if delivery.last_error else "",
    }


def delivery_row(delivery: Delivery) -> DeliveryRow:
    return DeliveryRow(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        message_id=delivery.event_id,
        event_type=delivery.event_type,
        occurred_at=delivery.occurred_at,
        created_at=delivery.created_at,
        **delivery_fields(delivery),
    )
