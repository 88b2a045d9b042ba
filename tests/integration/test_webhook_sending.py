"""Sending webhooks with several workers at once, on PostgreSQL: the per-endpoint limit holds under
concurrent claims, and a receiver that never answers does not slow deliveries to another endpoint.

Workers are threads here, each with its own database connection, doing what a Celery worker's
``webhooks.send`` task does (``apps.webhooks.sending.send``).
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from datetime import UTC, datetime
from uuid import UUID

import pytest
from django.db import transaction
from django.utils import timezone

from apps.webhooks import fanout, sending
from apps.webhooks.models import Delivery
from apps.webhooks.repository import DjangoEndpointRepository
from domain.webhooks.filters import EventTypeFilters
from domain.webhooks.model import Endpoint, EndpointUrl, SigningSecret
from tests.integration.threads import in_thread
from tests.support.events import envelope_of
from tests.support.receivers import Exchange, Receiver

pytestmark = pytest.mark.django_db(transaction=True)

OFFERED = frozenset({"orders.order_placed"})
READ_TIMEOUT = 2


@pytest.fixture(autouse=True)
def local_receivers(settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOKS_READ_TIMEOUT_SECONDS = READ_TIMEOUT


def never_answers(exchange: Exchange) -> None:
    exchange.released.wait()  # until the test ends: the request stays unanswered


def endpoint_for(receiver: Receiver) -> UUID:
    now = datetime.now(UTC)
    endpoint = Endpoint.subscribe(
        id=uuid.uuid4(),
        url=EndpointUrl(f"http://127.0.0.1:{receiver.port}/hook", allow_http=True),
        event_types=EventTypeFilters(["orders.order_placed"]),
        description="",
        secret=SigningSecret.from_key(uuid.uuid4().bytes * 2, created_at=now),
        now=now,
    )
    with transaction.atomic():
        repository = DjangoEndpointRepository()
        repository.add(endpoint)
        repository.flush()
    return endpoint.id


def fan_out(events: int) -> list[UUID]:
    """Delivery ids in the order the fan-out made them: each event to every endpoint in turn."""
    made: list[UUID] = []
    for _ in range(events):
        with transaction.atomic():
            made += fanout.fan_out(envelope_of("orders.order_placed", order_id=str(uuid.uuid4())), offered=OFFERED)
    return made


def work_off(ids: list[UUID], *, workers: int) -> dict[UUID, float]:
    """Send ``ids`` with ``workers`` threads taking them in order, as workers take ``webhooks.send``
    tasks off their queue: a delivery sent hands its endpoint's slot on to the next one due
    (``next_due``), one found busy is left for later. Answer when each delivery that was sent
    returned, in seconds from the start."""
    tasks: queue.Queue[UUID] = queue.Queue()
    for id in ids:
        tasks.put(id)
    returned: dict[UUID, float] = {}
    started = time.monotonic()

    def worker() -> None:
        while True:
            try:
                id = tasks.get_nowait()
            except queue.Empty:
                return
            if sending.send(id) is sending.Sent.SENT:
                returned[id] = time.monotonic() - started
                following = sending.next_due(id, now=timezone.now())
                if following is not None:
                    tasks.put(following)

    threads = [in_thread(worker) for _ in range(workers)]
    for thread in threads:
        thread.join(timeout=60)
    return returned


def test_workers_claiming_at_once_never_take_more_than_the_endpoints_slots(settings):
    settings.WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT = 2
    receiver = Receiver()
    try:
        endpoint_for(receiver)
        ids = fan_out(8)
        start = threading.Barrier(len(ids))
        claims: list[object] = []

        def claim(id: UUID) -> None:
            start.wait()
            claims.append(sending.claim(id, now=timezone.now()))

        for thread in [in_thread(claim, id) for id in ids]:
            thread.join(timeout=30)
    finally:
        receiver.close()

    taken = [claimed for claimed in claims if isinstance(claimed, sending.Claim)]
    assert len(claims) == 8
    assert len(taken) == 2
    assert claims.count(sending.Sent.BUSY) == 6
    assert Delivery.objects.filter(leased_until__isnull=False).count() == 2


@pytest.mark.parametrize("limited", [True, False], ids=["two slots per endpoint", "no limit"])
def test_a_receiver_that_never_answers_does_not_slow_deliveries_to_another_endpoint(settings, limited):
    """Measured: with the limit, every delivery to the live endpoint returns before the dead one's
    first request has even timed out; without it (the same workload, the same workers), the live
    endpoint's deliveries queue behind requests to the dead one, each waiting out the timeout."""
    settings.WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT = 2 if limited else 100
    dead, alive = Receiver(script=never_answers), Receiver()
    try:
        dead_id, alive_id = endpoint_for(dead), endpoint_for(alive)
        ids = fan_out(6)
        returned = work_off(ids, workers=4)
    finally:
        dead.close()
        alive.close()

    to_alive = set(Delivery.objects.filter(endpoint_id=alive_id).values_list("id", flat=True))
    to_dead = set(Delivery.objects.filter(endpoint_id=dead_id).values_list("id", flat=True))
    slowest_alive = max(returned[id] for id in to_alive)
    assert Delivery.objects.filter(endpoint_id=alive_id, status="succeeded").count() == 6
    if limited:
        assert slowest_alive < READ_TIMEOUT, returned
        # Each request to the dead endpoint takes the whole timeout; two at a time, so no more than two
        # of them can have returned before twice the timeout.
        first_round = [id for id in to_dead & set(returned) if returned[id] < 2 * READ_TIMEOUT]
        assert len(first_round) == 2, returned
    else:
        assert slowest_alive >= READ_TIMEOUT, returned
