"""The Django repositories of Endpoint aggregates and of deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import IntegrityError

from apps.webhooks import mapper
from apps.webhooks.models import Delivery as DeliveryRow
from apps.webhooks.models import DeliveryStatus
from apps.webhooks.models import Endpoint as EndpointRow
from domain.kernel.errors import ConflictError
from domain.webhooks.delivery import Delivery
from domain.webhooks.model import Endpoint
from domain.webhooks.ports import DeliveryRepository, EndpointRepository


class DjangoEndpointRepository(EndpointRepository):
    def __init__(self) -> None:
        super().__init__()
        #: ``failing_since`` of each loaded endpoint as it was read.
        self._loaded_failing_since: dict[UUID, datetime | None] = {}

    def _add(self, aggregate: Endpoint) -> None:
        """Nothing to do until flush: new endpoints are inserted when the unit of work commits."""

    def _get(self, id: UUID) -> Endpoint | None:
        row = EndpointRow.objects.filter(pk=id).first()
        if row is None:
            return None
        endpoint = mapper.endpoint_to_domain(row)
        self._loaded_failing_since[endpoint.id] = endpoint.failing_since
        return endpoint

    def flush(self) -> None:
        """Insert new endpoints and update the ones that recorded events, guarded by the loaded version.

        The run of failures (``failing_since``) is bookkeeping that records no event (deliveries to
        one endpoint finish concurrently): when only it changed, it is written alone, unguarded, the
        last report winning, and a guarded update leaves it as it is unless it changed too.
        Raises ``ConflictError`` when someone else changed the endpoint since it was loaded.
        """
        for endpoint in self.seen.values():
            failing_changed = self._loaded_failing_since.get(endpoint.id) != endpoint.failing_since
            if not endpoint.pending_events:
                if failing_changed and endpoint.loaded_version:
                    EndpointRow.objects.filter(pk=endpoint.id, enabled=True).update(
                        failing_since=endpoint.failing_since
                    )
                continue
            fields: dict[str, Any] = mapper.endpoint_fields(endpoint)
            if endpoint.loaded_version == 0:
                try:
                    EndpointRow(id=endpoint.id, **fields).save(force_insert=True)
                except IntegrityError as exc:
                    raise ConflictError("An endpoint with this id exists already; try again.") from exc
                continue
            if not failing_changed:
                del fields["failing_since"]
            updated = EndpointRow.objects.filter(pk=endpoint.id, version=endpoint.loaded_version).update(**fields)
            if updated != 1:
                raise ConflictError("The webhook endpoint was changed by someone else meanwhile; try again.")


class DjangoDeliveryRepository(DeliveryRepository):
    def __init__(self) -> None:
        super().__init__()
        #: The columns of each loaded delivery as they were read: what flush compares and guards with.
        self._loaded: dict[UUID, dict[str, Any]] = {}

    def _add(self, delivery: Delivery) -> None:
        """Nothing to do until flush: new deliveries are inserted together."""

    def _get(self, id: UUID) -> Delivery | None:
        row = DeliveryRow.objects.filter(pk=id).first()
        return self._load(row) if row else None

    def _finished_since(self, endpoint_id: UUID, since: datetime) -> list[Delivery]:
        rows = (
            DeliveryRow.objects.filter(endpoint_id=endpoint_id, created_at__gte=since)
            .exclude(status=DeliveryStatus.PENDING)
            .order_by("created_at", "id")
        )
        return [self.seen.get(row.id) or self._load(row) for row in rows]

    def flush(self) -> None:
        """Insert the new deliveries in one statement (one already there, from an event fanned out
        before, is left as it is) and update the changed ones, each guarded by the ``attempts`` and
        ``status`` it was read with. Raises ``ConflictError`` when one changed meanwhile."""
        new = [delivery for delivery in self.seen.values() if delivery.id not in self._loaded]
        if new:
            DeliveryRow.objects.bulk_create([mapper.delivery_row(delivery) for delivery in new], ignore_conflicts=True)
        for delivery in self.seen.values():
            loaded = self._loaded.get(delivery.id)
            if loaded is None:
                continue
            fields = mapper.delivery_fields(delivery)
            if fields == loaded:
                continue
            updated = DeliveryRow.objects.filter(
                pk=delivery.id, attempts=loaded["attempts"], status=loaded["status"]
            ).update(**fields)
            if updated != 1:
                raise ConflictError("The delivery was changed meanwhile (another attempt was recorded); try again.")
        for delivery in new:
            self._loaded[delivery.id] = mapper.delivery_fields(delivery)

    def _load(self, row: DeliveryRow) -> Delivery:
        delivery = mapper.delivery_to_domain(row)
        self._loaded[delivery.id] = mapper.delivery_fields(delivery)
        return delivery
