"""The fan-out's edges and the history's retention, on the tables: what is written, what is purged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.webhooks import fanout, gauges, sending, tasks
from apps.webhooks.models import Attempt, Delivery, Message
from apps.webhooks.models import Endpoint as EndpointRow
from apps.webhooks.repository import DjangoEndpointRepository
from domain.kernel.errors import ConflictError
from domain.kernel.result import Err
from domain.webhooks.filters import EventTypeFilters
from domain.webhooks.model import Endpoint, EndpointUrl, SigningSecret
from tests.support.events import envelope_of
from tests.support.receivers import Receiver

pytestmark = pytest.mark.django_db

OFFERED = frozenset({"orders.order_placed", "orders.order_paid"})


def endpoint(*event_types: str, enabled: bool = True, url: str = "https://erp.example.com/hooks") -> Endpoint:
    now = datetime.now(UTC)
    made = Endpoint.subscribe(
        id=uuid.uuid4(),
        url=EndpointUrl(url, allow_http=True),
        event_types=EventTypeFilters(event_types),
        description="",
        secret=SigningSecret.from_key(b"\x01" * 32, created_at=now),
        now=now,
    )
    if not enabled:
        made.disable(reason="Paused.", now=now)
    repository = DjangoEndpointRepository()
    repository.add(made)
    repository.flush()
    return made


def too_large() -> float:
    return REGISTRY.get_sample_value("orderflow_webhook_payloads_too_large_total") or 0.0


def fan_out(event_type: str, **payload) -> list[uuid.UUID]:
    with transaction.atomic():
        return fanout.fan_out(envelope_of(event_type, **payload), offered=OFFERED)


def test_an_event_goes_to_the_enabled_endpoints_that_want_it_and_its_body_is_stored_once():
    wants_all, wants_paid = endpoint("orders.*"), endpoint("orders.order_paid")
    endpoint("orders.order_placed", enabled=False)

    made = fan_out("orders.order_placed", order_id="o-1")

    assert [Delivery.objects.get(pk=id).endpoint_id for id in made] == [wants_all.id]
    assert Message.objects.count() == 1
    assert wants_paid.id not in Delivery.objects.values_list("endpoint_id", flat=True)


def test_an_event_not_offered_is_not_fanned_out():
    endpoint("orders.*")

    assert fan_out("users.user_registered", user_id="u-1") == []
    assert Message.objects.count() == 0


def test_a_body_above_the_payload_limit_is_refused_once_and_counted(settings):
    endpoint("orders.*")
    settings.WEBHOOKS_MAX_PAYLOAD_BYTES = 1024
    before = too_large()

    assert fan_out("orders.order_placed", note="x" * 2000) == []
    assert Delivery.objects.count() == 0
    assert too_large() == before + 1


def test_the_purge_removes_finished_deliveries_past_retention_with_their_attempts_and_keeps_the_rest(settings):
    settings.WEBHOOKS_HISTORY_RETENTION_DAYS = 30
    endpoint("orders.*")
    old_done, old_pending, recent_done = (fan_out("orders.order_placed")[0] for _ in range(3))
    long_ago = timezone.now() - timedelta(days=31)
    Delivery.objects.filter(pk__in=[old_done, old_pending]).update(created_at=long_ago)
    Message.objects.filter(deliveries__in=[old_done, old_pending]).update(created_at=long_ago)
    Delivery.objects.filter(pk__in=[old_done, recent_done]).update(status="succeeded", next_attempt_at=None)
    for id in (old_done, recent_done):
        Attempt.objects.create(
            delivery_id=id,
            attempted_at=timezone.now(),
            url="https://erp.example.com/hooks",
            request_headers={},
            status_code=200,
            duration_ms=5,
        )

    assert tasks.purge_history() == 1

    assert set(Delivery.objects.values_list("id", flat=True)) == {old_pending, recent_done}
    assert list(Attempt.objects.values_list("delivery_id", flat=True)) == [recent_done]
    assert Message.objects.count() == 2


def test_no_retention_keeps_everything(settings):
    settings.WEBHOOKS_HISTORY_RETENTION_DAYS = 0
    endpoint("orders.*")
    id = fan_out("orders.order_placed")[0]
    Delivery.objects.filter(pk=id).update(status="succeeded", created_at=timezone.now() - timedelta(days=400))

    assert tasks.purge_history() == 0
    assert Delivery.objects.filter(pk=id).exists()


def test_the_sweep_takes_no_more_per_endpoint_than_its_free_slots(settings):
    settings.WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT = 2
    busy, quiet = endpoint("orders.order_placed"), endpoint("orders.order_paid")
    backlog = [fan_out("orders.order_placed")[0] for _ in range(5)]
    other = fan_out("orders.order_paid")[0]
    Delivery.objects.filter(pk=backlog[0]).update(leased_until=timezone.now() + timedelta(minutes=1))

    chosen = sending.due(now=timezone.now(), limit=100)

    assert sorted(map(str, chosen)) == sorted(map(str, [backlog[1], other]))
    assert sending.due(now=timezone.now(), limit=100) == []  # queued: left to the workers for now
    assert {busy.id, quiet.id} == set(Delivery.objects.values_list("endpoint_id", flat=True))


def test_fanning_an_event_out_costs_three_statements_however_many_endpoints_want_it(django_assert_num_queries):
    for _ in range(5):
        endpoint("orders.*")

    # the enabled endpoints, the message, every delivery at once
    with transaction.atomic(), django_assert_num_queries(3):
        made = fanout.fan_out(envelope_of("orders.order_placed"), offered=OFFERED)

    assert len(made) == 5


def test_sending_a_delivery_costs_a_fixed_number_of_statements(settings, django_assert_num_queries):
    receiver = Receiver()
    try:
        settings.WEBHOOKS_ALLOW_HTTP = True
        settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
        endpoint("orders.*", url=f"http://127.0.0.1:{receiver.port}/hook")
        id = fan_out("orders.order_placed")[0]

        # The claim (3 statements in a savepoint); the delivery with its endpoint and message (1); then,
        # in one savepoint, RecordDeliveryAttempt in a savepoint of its own (the delivery, the endpoint,
        # the update, the audit entry), the attempt's history row and the lease given back.
        with django_assert_num_queries(16):
            sent = sending.send(id)
    finally:
        receiver.close()

    assert sent is sending.Sent.SENT
    assert Delivery.objects.get(pk=id).status == "succeeded"


def test_a_plain_http_endpoint_is_not_sent_to_once_plain_http_is_no_longer_allowed(settings):
    receiver = Receiver()
    try:
        settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
        settings.WEBHOOKS_ALLOW_HTTP = False  # it was allowed when the endpoint was subscribed
        endpoint("orders.*", url=f"http://127.0.0.1:{receiver.port}/hook")
        id = fan_out("orders.order_placed")[0]

        sent = sending.send(id)
    finally:
        receiver.close()

    assert sent is sending.Sent.SENT
    assert receiver.connections == 0
    assert (
        Attempt.objects.get(delivery_id=id).error == "refused: plain http is not allowed (WEBHOOKS_ALLOW_HTTP is off)"
    )
    delivery = Delivery.objects.get(pk=id)
    assert (delivery.status, delivery.last_error) == ("pending", "blocked_address")


def test_a_payload_above_a_lowered_limit_is_a_failed_attempt_retried_on_the_schedule(settings):
    endpoint("orders.*")
    id = fan_out("orders.order_placed", note="x" * 2000)[0]
    settings.WEBHOOKS_MAX_PAYLOAD_BYTES = 1024

    assert sending.send(id) is sending.Sent.SENT

    delivery = Delivery.objects.get(pk=id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "payload_too_large")
    assert delivery.leased_until is None


def test_a_delivery_whose_attempt_is_not_recorded_keeps_its_lease_and_is_not_handed_on(settings, monkeypatch):
    endpoint("orders.*")
    first, second = fan_out("orders.order_placed")[0], fan_out("orders.order_placed")[0]
    monkeypatch.setattr(sending, "dispatch", lambda command: Err(ConflictError("changed meanwhile")))

    assert sending.send(first) is sending.Sent.SENT

    assert Delivery.objects.get(pk=first).leased_until is not None  # the wait before it is tried again
    assert sending.next_due(first, now=timezone.now()) == second
    assert sending.next_due(first, now=timezone.now()) is None  # the second is queued already


def test_the_disabled_gauge_counts_the_endpoints_orderflow_disabled_not_those_a_person_did():
    endpoint("orders.*", enabled=False)  # by a person
    gone, failing = endpoint("orders.*"), endpoint("orders.*")
    EndpointRow.objects.filter(pk=gone.id).update(enabled=False, disabled_cause="gone")
    EndpointRow.objects.filter(pk=failing.id).update(enabled=False, disabled_cause="failing")
    endpoint("orders.*")  # enabled

    assert gauges.sample()["orderflow_webhook_endpoints_auto_disabled"] == 2
