"""Outbound webhooks end to end: a real HTTP receiver on a local address gets orderflow's events,
signed so that the Standard Webhooks library verifies them; retries, 410 Gone, and the SSRF guard
at delivery time.

The endpoint is subscribed through the API by an integrator; events flow through the outbox, the
broker and the fan-out consumer (``deliver_events``); the sending is what the worker does
(``send_due``), in this process. The receiver's local address is let through by the allow-list,
as an on-premise receiver's would be.
"""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from apps.audit.models import AuditEntry
from apps.webhooks import sending
from apps.webhooks.models import Attempt, Delivery, Endpoint
from tests.e2e.test_order_to_cash import pay, place
from tests.e2e.test_order_to_cash import webhook_secret as payment_webhook_secret  # noqa: F401
from tests.support.events import deliver_events
from tests.support.http import account
from tests.support.receivers import Exchange, Receiver
from tests.support.webhooks import send_due, subscribe

pytestmark = pytest.mark.django_db

PAID_ORDER_EVENTS = ["orders.order_placed", "billing.invoice_issued", "billing.payment_captured", "orders.order_paid"]


@pytest.fixture(autouse=True)
def local_receivers(settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOKS_READ_TIMEOUT_SECONDS = 2


@pytest.fixture
def integrator(api) -> dict[str, Any]:
    return account(api, "hooks@example.com", role="integrator")


@pytest.fixture
def customer(api) -> dict[str, str]:
    return account(api, "grace@example.com")["auth"]


@pytest.fixture
def receiver():
    served = Receiver()
    yield served
    served.close()


def answering(*statuses: int):
    """A script answering ``statuses`` in turn, then 200 for ever."""
    remaining = list(statuses)

    def script(exchange: Exchange) -> None:
        exchange.answer(remaining.pop(0) if remaining else 200)

    return script


def verified(secret: str, request) -> dict[str, Any]:
    return Webhook(secret).verify(request.body, request.headers)


def test_a_paid_order_reaches_the_receiver_as_four_signed_events(api, integrator, customer, receiver):
    endpoint = subscribe(api, integrator["auth"], receiver, "orders.*", "billing.*")

    placed = place(api, customer, ("BOOK-DDD", 2, "39.90"))
    sent_first = send_due()
    bill = api.get(f"/api/v2/orders/{placed['id']}", **customer).json()["invoice_id"]
    paid = pay(api, bill, 7980, "EUR")
    sent_then = send_due()

    assert paid.status_code == 200, paid.content
    assert {outcome for _, outcome in sent_first + sent_then} == {sending.Sent.SENT}
    bodies = [verified(endpoint["secret"], request) for request in receiver.requests]
    assert [body["type"] for body in bodies] == PAID_ORDER_EVENTS
    assert {body["data"]["order_id"] for body in bodies} == {placed["id"]}
    assert [request.target for request in receiver.requests] == ["/hook"] * 4
    webhook_ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert len(set(webhook_ids)) == 4
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert Attempt.objects.filter(status_code=200).count() == 4


def test_a_signature_made_with_another_secret_does_not_verify(api, integrator, customer, receiver):
    subscribe(api, integrator["auth"], receiver, "orders.order_placed")
    place(api, customer, ("BOOK-DDD", 1, "39.90"))
    send_due()

    with pytest.raises(WebhookVerificationError):
        verified("whsec_" + "QUJD" * 8, receiver.requests[0])


def test_a_delivery_answered_503_then_200_succeeds_on_its_second_attempt_with_both_in_the_history(
    api, integrator, customer
):
    receiver = Receiver(script=answering(503))
    try:
        endpoint = subscribe(api, integrator["auth"], receiver, "orders.order_placed")
        place(api, customer, ("BOOK-DDD", 1, "39.90"))

        send_due()
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 1, 503)
        assert send_due() == []  # not due before its retry
        send_due(now=delivery.next_attempt_at)
    finally:
        receiver.close()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("succeeded", 2, 200)
    history = list(Attempt.objects.filter(delivery=delivery).values_list("status_code", flat=True))
    assert history == [503, 200]
    shown = api.get(f"/api/v2/webhooks/deliveries/{delivery.id}", **integrator["auth"])
    assert shown.status_code == 200, shown.content
    assert [attempt["status_code"] for attempt in shown.json()["attempt_history"]] == [503, 200]
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # what receivers de-duplicate on
    assert verified(endpoint["secret"], second)["type"] == "orders.order_placed"


def test_retry_after_of_a_503_postpones_the_retry(api, integrator, customer):
    def busy(exchange: Exchange) -> None:
        exchange.answer(503, headers={"Retry-After": "600"})

    receiver = Receiver(script=busy)
    try:
        subscribe(api, integrator["auth"], receiver, "orders.order_placed")
        place(api, customer, ("BOOK-DDD", 1, "39.90"))
        before = timezone.now()
        send_due()
    finally:
        receiver.close()

    delivery = Delivery.objects.get()
    assert delivery.next_attempt_at >= before + timedelta(seconds=600)


def test_410_gone_fails_the_delivery_and_disables_the_endpoint_with_an_audit_entry(api, integrator, customer):
    receiver = Receiver(script=answering(410))
    try:
        endpoint = subscribe(api, integrator["auth"], receiver, "orders.order_placed")
        place(api, customer, ("BOOK-DDD", 1, "39.90"))
        place(api, customer, ("BOOK-DDD", 2, "39.90"))
        send_due()
    finally:
        receiver.close()

    row = Endpoint.objects.get(pk=endpoint["id"])
    assert (row.enabled, row.disabled_cause) == (False, "gone")
    assert "410" in row.disabled_reason
    assert len(receiver.requests) == 1  # the second delivery waits: the endpoint is disabled
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["failed", "pending"]
    gone = Delivery.objects.get(status="failed")
    assert AuditEntry.objects.filter(action="RecordDeliveryAttempt", target_id=str(gone.id)).exists()
    shown = api.get(f"/api/v2/webhooks/endpoints/{endpoint['id']}", **integrator["auth"]).json()
    assert (shown["enabled"], shown["disabled_cause"]) == (False, "gone")


def test_a_name_that_resolves_to_a_private_address_after_subscribing_is_refused_at_delivery(
    api, integrator, customer, receiver, settings, monkeypatch
):
    settings.WEBHOOKS_ALLOWED_NETWORKS = []  # nothing exempt: only public addresses may be reached
    answers = {"partner.example": "93.184.215.14"}
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answers[host], port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    url = f"http://partner.example:{receiver.port}/hook"
    subscribed = api.post(
        "/api/v2/webhooks/endpoints",
        {"url": url, "event_types": ["orders.order_placed"], "description": "rebinding"},
        format="json",
        **integrator["auth"],
    )
    assert subscribed.status_code == 201, subscribed.content
    answers["partner.example"] = "127.0.0.1"  # the receiver's own address, now private: DNS rebinding

    place(api, customer, ("BOOK-DDD", 1, "39.90"))
    send_due()

    assert receiver.connections == 0
    attempt = Attempt.objects.get()
    assert attempt.status_code is None
    assert "127.0.0.1" in attempt.error
    assert "loopback" in attempt.error
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("pending", "blocked_address")


def test_deliveries_wait_while_their_endpoint_is_disabled_and_go_out_once_it_is_enabled(
    api, integrator, customer, receiver
):
    endpoint = subscribe(api, integrator["auth"], receiver, "orders.order_placed")
    place(api, customer, ("BOOK-DDD", 1, "39.90"))
    base = f"/api/v2/webhooks/endpoints/{endpoint['id']}"
    disabled = api.post(f"{base}/disable", {"reason": "Maintenance"}, format="json", **integrator["auth"])
    assert disabled.status_code == 200, disabled.content

    assert send_due() == []
    enabled = api.post(f"{base}/enable", {}, format="json", **integrator["auth"])
    assert enabled.status_code == 200, enabled.content
    send_due()

    assert [request.headers["webhook-id"] for request in receiver.requests] == [f"msg_{Delivery.objects.get().id.hex}"]


def test_an_event_is_fanned_out_once_however_often_the_broker_delivers_it(api, integrator, customer, receiver):
    subscribe(api, integrator["auth"], receiver, "orders.order_placed")
    place(api, customer, ("BOOK-DDD", 1, "39.90"))
    deliver_events()  # nothing new: the inbox already has the event

    assert Delivery.objects.count() == 1
