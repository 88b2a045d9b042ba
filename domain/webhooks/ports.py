"""What the webhooks context needs from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.kernel.ports import Repository, UnitOfWork
from domain.webhooks.delivery import Delivery
from domain.webhooks.model import Endpoint, SigningSecret


class EndpointRepository(Repository[Endpoint]):
    """Endpoints by id, with their secrets."""


class DeliveryRepository(ABC):
    """Deliveries by id, and an endpoint's deliveries by when they were made.

    Like an aggregate's repository, it tracks every delivery it added or returned (``seen``) and
    writes the changed ones in ``flush``, which the unit of work calls on commit. A delivery is an
    entity, not an aggregate: it records no events, and its write is guarded on ``attempts`` (see
    ``domain.webhooks.delivery``).
    """

    def __init__(self) -> None:
        self.seen: dict[UUID, Delivery] = {}

    def add(self, delivery: Delivery) -> None:
        self._add(delivery)
        self.seen[delivery.id] = delivery

    def get(self, id: UUID) -> Delivery | None:
        delivery = self.seen.get(id) or self._get(id)
        if delivery is not None:
            self.seen[delivery.id] = delivery
        return delivery

    def finished_since(self, endpoint_id: UUID, since: datetime) -> list[Delivery]:
        """Every finished delivery (succeeded or failed) to ``endpoint_id`` created at or after
        ``since``, oldest first."""
        found = [self.seen.get(delivery.id, delivery) for delivery in self._finished_since(endpoint_id, since)]
        for delivery in found:
            self.seen[delivery.id] = delivery
        return found

    @abstractmethod
    def _add(self, delivery: Delivery) -> None: ...

    @abstractmethod
    def _get(self, id: UUID) -> Delivery | None: ...

    @abstractmethod
    def _finished_since(self, endpoint_id: UUID, since: datetime) -> list[Delivery]: ...

    @abstractmethod
    def flush(self) -> None:
        """Write every tracked delivery that is new or changed.

        Raises ``ConflictError`` when a delivery was changed by someone else since it was loaded.
        """


class WebhooksUnitOfWork(UnitOfWork):
    """Endpoints and deliveries in one transaction; ``commit`` flushes the deliveries as well."""

    endpoints: EndpointRepository
    deliveries: DeliveryRepository


class SecretGenerator(Protocol):
    def new(self, *, now: datetime) -> SigningSecret:
        """A signing secret never made before (random bytes from a secure source), made at ``now``."""
        ...


class DestinationGuard(Protocol):
    def check(self, url: str) -> None:
        """Return when webhooks may be sent to ``url`` now; raise ``UnsafeDestinationError`` with one
        sentence saying why not (its host resolves to a loopback or private address, say)."""
        ...


class EventCatalogue(Protocol):
    def offered(self) -> frozenset[str]:
        """The event types endpoints may subscribe to, as the composition root decides."""
        ...
