"""Webhooks in the back-office, in a browser: an integrator subscribes an endpoint, copies its secret from the
one page that shows it, and reads the endpoint and its deliveries without the secret ever showing again."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.audit.models import AuditEntry
from apps.webhooks.models import Attempt, Delivery, Endpoint, Message
from tests.support.browser import sign_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ENDPOINTS = "/admin/webhooks/endpoint/"
DELIVERIES = "/admin/webhooks/delivery/"
URL = "http://127.0.0.1:9009/hook"


@pytest.fixture(autouse=True)
def local_receivers(settings):
    """Plain http to the loopback network, which the destination guard then lets through without DNS."""
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def test_an_integrator_subscribes_an_endpoint_and_sees_its_secret_once(page, page_problems, staff_member):
    integrator = staff_member("ines@example.com", role="integrator")

    sign_in_to_admin(page, "ines@example.com")
    page.goto(f"{ENDPOINTS}add/")
    page.locator("#id_url").fill(URL)
    page.locator("#id_event_types").fill("orders.*\nbilling.payment_captured")
    page.locator("#id_description").fill("The warehouse")
    page.get_by_role("button", name="Save", exact=True).click()

    secret = page.locator("#signing-secrets .signing-secret")
    expect(secret).to_have_text(re.compile(r"^whsec_"))
    endpoint = Endpoint.objects.get(url=URL)
    assert secret.inner_text() == endpoint.secrets[0]["value"]
    entry = AuditEntry.objects.get(action="SubscribeEndpoint")
    assert (entry.actor, entry.outcome) == (f"user:{integrator.pk}", "ok")

    page.get_by_role("link", name=URL).click()
    expect(page.locator(".field-signing")).to_contain_text("1 secret sign each delivery")
    assert "whsec_" not in page.content()
    assert not page_problems, "\n".join(page_problems)


def test_a_delivery_is_shown_with_its_body_and_attempts(page, page_problems, staff_member):
    staff_member("ines@example.com", role="integrator")
    delivery = failed_delivery()

    sign_in_to_admin(page, "ines@example.com")
    page.goto(DELIVERIES)
    page.get_by_role("link", name=f"msg_{delivery.id.hex}").click()

    expect(page.locator(".field-body pre")).to_contain_text('"type": "orders.order_paid"')
    expect(page.locator(".field-attempts_table tbody tr")).to_have_count(1)
    expect(page.locator(".field-attempts_table tbody tr")).to_contain_text("503")
    assert not page_problems, "\n".join(page_problems)


def failed_delivery() -> Delivery:
    """A delivery given up after one attempt answered 503, as the sending task leaves it."""
    now = timezone.now()
    endpoint = Endpoint.objects.create(
        id=uuid.uuid4(),
        url=URL,
        event_types=["orders.*"],
        secrets=[{"value": "whsec_" + "A" * 44, "created_at": now.isoformat(), "expires_at": None}],
        enabled=True,
        subscribed_at=now,
        version=1,
    )
    message = Message.objects.create(
        event_id=uuid.uuid4(),
        event_type="orders.order_paid",
        body=json.dumps({"type": "orders.order_paid", "timestamp": now.isoformat(), "data": {}}),
        created_at=now,
    )
    delivery = Delivery.objects.create(
        id=uuid.uuid4(),
        endpoint=endpoint,
        message=message,
        event_type="orders.order_paid",
        occurred_at=now,
        created_at=now,
        status="failed",
        attempts=1,
        attempts_before_round=0,
        last_attempt_at=now,
        last_status=503,
    )
    Attempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        url=URL,
        request_headers={"webhook-id": f"msg_{delivery.id.hex}"},
        status_code=503,
        response_body="busy",
        duration_ms=40,
    )
    return delivery
