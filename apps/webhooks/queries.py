"""The read side of webhooks: endpoints, their deliveries and each delivery's attempts.

The tables are read directly (no separate read model): they are small per endpoint, indexed for
these reads, and an integrator wants to see the state as it is now, not as a projection caught up.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from apps.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from domain.kernel.messages import Query
from domain.kernel.result import Err, Ok, Result
from domain.webhooks.errors import DeliveryNotFoundError, EndpointNotFoundError


@dataclass(frozen=True)
class ListEndpoints(Query):
    """Every endpoint, newest first; only enabled (or disabled) ones when ``enabled`` says so."""

    enabled: bool | None = None


@dataclass(frozen=True)
class GetEndpoint(Query):
    endpoint_id: UUID


@dataclass(frozen=True)
class ListDeliveries(Query):
    """Deliveries, newest first, filtered by whatever is given."""

    endpoint_id: UUID | None = None
    status: str | None = None
    event_type: str | None = None


@dataclass(frozen=True)
class GetDelivery(Query):
    """One delivery with every attempt made, oldest first."""

    delivery_id: UUID


STATUSES = tuple(DeliveryStatus.values)


def list_endpoints(query: ListEndpoints) -> Result[QuerySet[Endpoint], Exception]:
    endpoints = Endpoint.objects.order_by("-subscribed_at", "-id")
    if query.enabled is not None:
        endpoints = endpoints.filter(enabled=query.enabled)
    return Ok(endpoints)


def get_endpoint(query: GetEndpoint) -> Result[Endpoint, Exception]:
    endpoint = Endpoint.objects.filter(pk=query.endpoint_id).first()
    if endpoint is None:
        return Err(EndpointNotFoundError("No webhook endpoint has this id."))
    return Ok(endpoint)


def list_deliveries(query: ListDeliveries) -> Result[QuerySet[Delivery], Exception]:
    deliveries = Delivery.objects.order_by("-created_at", "-id")
    if query.endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=query.endpoint_id)
    if query.status is not None:
        deliveries = deliveries.filter(status=query.status)
    if query.event_type is not None:
        deliveries = deliveries.filter(event_type=query.event_type)
    return Ok(deliveries)


def get_delivery(query: GetDelivery) -> Result[Delivery, Exception]:
    delivery = (
        Delivery.objects.filter(pk=query.delivery_id)
        .prefetch_related(Prefetch("attempt_history", queryset=Attempt.objects.order_by("attempted_at", "id")))
        .first()
    )
    if delivery is None:
        return Err(DeliveryNotFoundError("No delivery has this id."))
    return Ok(delivery)
