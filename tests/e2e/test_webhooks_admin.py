"""Webhooks in the admin: endpoints subscribed, changed, disabled, enabled and rotated through the command bus;
deliveries read-only and redelivered. A signing secret is shown once, on the page that answers its making."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.webhooks.models import Attempt, Delivery, Endpoint, Message
from tests.support.accounts import staff_row

ENDPOINTS = "/admin/webhooks/endpoint/"
DELIVERIES = "/admin/webhooks/delivery/"
URL = "http://127.0.0.1:9009/hook"
PAID = "orders.order_paid"
SECRET = re.compile(rb"whsec_[A-Za-z0-9+/=]+")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("local_receivers"),
]


@pytest.fixture
def local_receivers():
    """Plain http to the loopback network: no DNS, and the destination guard lets it through."""
    with override_settings(WEBHOOKS_ALLOW_HTTP=True, WEBHOOKS_ALLOWED_NETWORKS=["127.0.0.0/8"]):
        yield


@pytest.fixture
def admin_client(client):
    client.force_login(staff_row("boss@example.com", "Boss", superuser=True))
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def subscribe(client, url: str = URL, event_types: str = "orders.*\nbilling.payment_captured", description: str = ""):
    """Post the add form; the answer is the page showing the new secret."""
    return client.post(f"{ENDPOINTS}add/", {"url": url, "event_types": event_types, "description": description})


def endpoint_subscribed(client, url: str = URL) -> Endpoint:
    assert subscribe(client, url).status_code == 200
    return Endpoint.objects.get(url=url)


def act(client, changelist: str, action: str, rows, **fields: str):
    """Apply the changelist ``action`` to ``rows`` with the action form's ``fields``."""
    selected = [str(row.pk) for row in rows]
    return client.post(changelist, {"action": action, "_selected_action": selected, **fields}, follow=True)


def delivery(endpoint: Endpoint, status: str = "succeeded", *, attempts: int = 1, event_type: str = PAID):
    """A delivery as the fan-out and the sending task leave it, with one attempt per ``attempts``."""
    now = timezone.now()
    event_id = uuid.uuid4()
    message = Message.objects.create(
        event_id=event_id,
        event_type=event_type,
        body=json.dumps({"type": event_type, "timestamp": now.isoformat(), "data": {"order_id": "o-1<b>"}}),
        created_at=now,
    )
    row = Delivery.objects.create(
        id=uuid.uuid5(endpoint.pk, str(event_id)),
        endpoint=endpoint,
        message=message,
        event_type=event_type,
        occurred_at=now,
        created_at=now,
        status=status,
        attempts=attempts,
        attempts_before_round=0,
        next_attempt_at=now if status == "pending" else None,
        last_attempt_at=now if attempts else None,
        last_status=200 if status == "succeeded" else (500 if attempts else None),
    )
    for number in range(attempts):
        Attempt.objects.create(
            delivery=row,
            attempted_at=now - timedelta(minutes=attempts - number),
            url=endpoint.url,
            request_headers={"webhook-id": f"msg_{row.id.hex}", "webhook-signature": "v1,c2lnbmVk"},
            status_code=200 if status == "succeeded" and number == attempts - 1 else 500,
            response_body="<script>alert(1)</script>",
            duration_ms=12,
        )
    return row


# --- endpoints ------------------------------------------------------------------------------------


def test_adding_an_endpoint_subscribes_it_through_the_command_and_shows_its_secret_once(admin_client):
    response = subscribe(admin_client, description="The warehouse")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = SECRET.findall(response.content)
    endpoint = Endpoint.objects.get(url=URL)
    assert shown == [endpoint.secrets[0]["value"].encode()]
    assert (endpoint.enabled, endpoint.description) == (True, "The warehouse")
    assert endpoint.event_types == ["billing.payment_captured", "orders.*"]
    assert AuditEntry.objects.filter(action="SubscribeEndpoint", outcome="ok").count() == 1

    change = admin_client.get(f"{ENDPOINTS}{endpoint.pk}/change/")
    listed = admin_client.get(ENDPOINTS)

    assert change.status_code == 200
    assert b"whsec_" not in change.content
    assert b"1 secret sign each delivery" in change.content
    assert b"whsec_" not in listed.content
    assert URL.encode() in listed.content


def test_a_refused_subscription_keeps_the_form_says_why_and_subscribes_nothing(admin_client):
    response = subscribe(admin_client, event_types="shipping.*")

    assert response.status_code == 200
    assert b"whsec_" not in response.content
    assert any("No event offered matches shipping.*" in message for message in messages_of(response))
    assert response.context["adminform"].form.errors["event_types"]
    assert not Endpoint.objects.exists()


def test_an_unsafe_destination_is_refused_with_the_guards_sentence(admin_client):
    response = subscribe(admin_client, url="http://10.0.0.1/hook")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"]
    assert not Endpoint.objects.exists()


def test_the_change_form_updates_through_the_command(admin_client):
    endpoint = endpoint_subscribed(admin_client)
    page = f"{ENDPOINTS}{endpoint.pk}/change/"

    response = admin_client.post(
        page, {"url": "http://127.0.0.1:9010/hook", "event_types": "billing.*", "description": "ERP"}, follow=True
    )

    assert response.status_code == 200
    endpoint.refresh_from_db()
    changed = (endpoint.url, endpoint.event_types, endpoint.description)
    assert changed == ("http://127.0.0.1:9010/hook", ["billing.*"], "ERP")
    assert AuditEntry.objects.filter(action="UpdateEndpoint", outcome="ok", target_id=str(endpoint.pk)).exists()


def test_a_refused_change_keeps_the_form_and_changes_nothing(admin_client):
    endpoint = endpoint_subscribed(admin_client)

    response = admin_client.post(
        f"{ENDPOINTS}{endpoint.pk}/change/", {"url": URL, "event_types": "users.*", "description": ""}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["event_types"]
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["billing.payment_captured", "orders.*"]


def test_disabling_asks_a_reason_and_enabling_delivers_again(admin_client):
    endpoint = endpoint_subscribed(admin_client)

    refused = act(admin_client, ENDPOINTS, "disable", [endpoint], reason="")
    assert Endpoint.objects.get(pk=endpoint.pk).enabled is True
    assert messages_of(refused) == [f"{URL}: reason: Give a reason."]

    disabled = act(admin_client, ENDPOINTS, "disable", [endpoint], reason="Receiver is being moved")
    row = Endpoint.objects.get(pk=endpoint.pk)
    assert messages_of(disabled) == ["1 endpoint(s) disabled."]
    assert (row.enabled, row.disabled_cause, row.disabled_reason) == (False, "requested", "Receiver is being moved")

    enabled = act(admin_client, ENDPOINTS, "enable", [endpoint])
    assert messages_of(enabled) == ["1 endpoint(s) enabled."]
    assert Endpoint.objects.get(pk=endpoint.pk).enabled is True
    assert set(AuditEntry.objects.filter(target_id=str(endpoint.pk)).values_list("action", flat=True)) >= {
        "DisableEndpoint",
        "EnableEndpoint",
    }


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_one_signing(admin_client):
    endpoint = endpoint_subscribed(admin_client)
    old = endpoint.secrets[0]["value"]

    response = admin_client.post(
        ENDPOINTS, {"action": "rotate_secret", "_selected_action": [str(endpoint.pk)], "overlap_seconds": "86400"}
    )

    endpoint.refresh_from_db()
    assert response.status_code == 200
    assert len(endpoint.secrets) == 2
    assert SECRET.findall(response.content) == [endpoint.secrets[0]["value"].encode()]
    assert endpoint.secrets[1]["value"] == old
    change = admin_client.get(f"{ENDPOINTS}{endpoint.pk}/change/")
    assert b"whsec_" not in change.content
    assert b"2 secrets sign each delivery; the previous one stops signing at" in change.content
    assert AuditEntry.objects.filter(action="RotateEndpointSecret", outcome="ok").exists()
    assert not AuditEntry.objects.filter(changes__icontains="whsec_").exists()


def test_a_refused_rotation_says_why_and_shows_no_secret(admin_client):
    endpoint = endpoint_subscribed(admin_client)

    response = act(admin_client, ENDPOINTS, "rotate_secret", [endpoint], overlap_seconds=str(30 * 86400))

    assert b"whsec_" not in response.content
    assert messages_of(response) == [f"{URL}: overlap: The overlap is between 0 and 7 days."]
    assert len(Endpoint.objects.get(pk=endpoint.pk).secrets) == 1


@pytest.mark.parametrize("overlap", ["²", "1.5", "-1", "one day", "9" * 12])
def test_an_overlap_that_is_not_a_whole_number_of_seconds_is_one_message_and_changes_nothing(admin_client, overlap):
    endpoint = endpoint_subscribed(admin_client)

    response = act(admin_client, ENDPOINTS, "rotate_secret", [endpoint], overlap_seconds=overlap)

    assert response.status_code == 200
    assert messages_of(response) == [f"The overlap is a whole number of seconds, not {overlap!r}."]
    assert len(Endpoint.objects.get(pk=endpoint.pk).secrets) == 1


@pytest.mark.parametrize("since", ["0001-01-01 00:00+01:00", "yesterday", "2026-13-01 00:00"])
def test_a_since_time_that_cannot_be_read_is_one_message(admin_client, since):
    endpoint = endpoint_subscribed(admin_client)

    response = act(admin_client, ENDPOINTS, "redeliver_since", [endpoint], since=since)

    assert response.status_code == 200
    assert "time to redeliver from" in messages_of(response)[0]


def test_redeliver_since_sends_again_what_finished_since_then(admin_client):
    endpoint = endpoint_subscribed(admin_client)
    finished, pending = delivery(endpoint, "failed"), delivery(endpoint, "pending")
    since = timezone.localtime() - timedelta(hours=1)

    response = act(admin_client, ENDPOINTS, "redeliver_since", [endpoint], since=f"{since:%Y-%m-%d %H:%M}")

    assert messages_of(response) == ["1 finished delivery(ies) of 1 endpoint(s) will be sent again."]
    assert Delivery.objects.get(pk=finished.pk).status == "pending"
    assert Delivery.objects.get(pk=pending.pk).attempts == pending.attempts
    assert "time to redeliver from" in messages_of(act(admin_client, ENDPOINTS, "redeliver_since", [endpoint]))[0]


def test_endpoints_are_never_deleted(admin_client):
    endpoint = endpoint_subscribed(admin_client)

    assert admin_client.get(f"{ENDPOINTS}{endpoint.pk}/delete/").status_code == 403
    offered = [name for name, _ in admin_client.get(ENDPOINTS).context["action_form"].fields["action"].choices]
    assert offered == ["", "disable", "enable", "rotate_secret", "redeliver_since"]


# --- deliveries -----------------------------------------------------------------------------------


def test_deliveries_are_listed_filtered_and_shown_with_their_attempts(admin_client):
    endpoint = endpoint_subscribed(admin_client)
    succeeded = delivery(endpoint, "succeeded", attempts=2)
    delivery(endpoint, "failed", event_type="billing.payment_captured")

    listed = admin_client.get(DELIVERIES, {"status__exact": "succeeded"})
    found = admin_client.get(DELIVERIES, {"q": f"msg_{succeeded.id.hex}"})
    detail = admin_client.get(f"{DELIVERIES}{succeeded.pk}/change/")

    assert [row.pk for row in listed.context["cl"].result_list] == [succeeded.pk]
    assert [row.pk for row in found.context["cl"].result_list] == [succeeded.pk]
    assert f"msg_{succeeded.id.hex}".encode() in listed.content
    assert detail.status_code == 200
    assert detail.content.count(b"v1,c2lnbmVk") == 2
    assert b"&quot;order_id&quot;: &quot;o-1&lt;b&gt;&quot;" in detail.content  # pretty JSON, escaped
    assert b"<script>alert(1)</script>" not in detail.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in detail.content
    assert b'name="_save"' not in detail.content
    assert admin_client.get(f"{DELIVERIES}add/").status_code == 403


def test_redelivering_a_finished_delivery_makes_it_pending_and_a_pending_one_is_refused(admin_client):
    endpoint = endpoint_subscribed(admin_client)
    finished, pending = delivery(endpoint, "succeeded"), delivery(endpoint, "pending", attempts=0)

    response = act(admin_client, DELIVERIES, "redeliver", [finished, pending])

    shown = messages_of(response)
    assert "1 delivery(ies) will be sent again." in shown
    assert any(message.startswith(f"msg_{pending.id.hex}: ") for message in shown)
    assert Delivery.objects.get(pk=finished.pk).status == "pending"
    unchanged = Delivery.objects.get(pk=pending.pk)
    assert (unchanged.status, unchanged.attempts, unchanged.next_attempt_at) == (
        "pending",
        0,
        pending.next_attempt_at,
    )
    refusal = AuditEntry.objects.get(action="RedeliverDelivery", target_id=str(pending.pk))
    assert refusal.outcome.startswith("refused")


@pytest.mark.parametrize("page", [ENDPOINTS, DELIVERIES])
def test_list_pages_query_the_same_whatever_the_number_of_rows(admin_client, page):
    first = endpoint_subscribed(admin_client)
    delivery(first)

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(page).status_code == 200
    for number in range(5):
        delivery(endpoint_subscribed(admin_client, f"http://127.0.0.1:{9020 + number}/hook"))
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(page).status_code == 200

    assert len(many) == len(few)


# --- who may ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("integrator", 200), ("support", 403), ("auditor", 403)])
def test_only_who_manages_webhooks_sees_the_pages(client, role, status):
    call_command("sync_roles", verbosity=0)
    member = staff_row(f"{role}@example.com", superuser=False)
    member.groups.add(Group.objects.get(name=role))
    client.force_login(member)

    assert client.get(ENDPOINTS).status_code == status
    assert client.get(DELIVERIES).status_code == status
    assert client.get(f"{ENDPOINTS}add/").status_code == status
    assert (b"/admin/webhooks/" in client.get("/admin/").content) is (status == 200)


def test_an_integrator_subscribes_in_their_own_name(client):
    call_command("sync_roles", verbosity=0)
    member = staff_row("integrator@example.com", superuser=False)
    member.groups.add(Group.objects.get(name="integrator"))
    client.force_login(member)

    assert SECRET.search(subscribe(client).content)
    entry = AuditEntry.objects.get(action="SubscribeEndpoint")
    assert (entry.actor, entry.outcome) == (f"user:{member.pk}", "ok")
    assert "whsec_" not in json.dumps(entry.changes)


def test_someone_not_signed_in_is_sent_to_the_sign_in_page(client):
    response = client.get(ENDPOINTS)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
