"""The webhooks API over HTTP (v2): endpoints subscribed, changed, rotated, disabled and enabled; deliveries
listed, read with their attempts and sent again; who may do it; and the URLs that are refused."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.outbox.models import OutboxEntry
from apps.platform.models import IdempotencyRecord
from apps.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from tests.support.events import deliver_events
from tests.support.http import account, assert_problem

pytestmark = pytest.mark.django_db

BASE = "/api/v2/webhooks"
ENDPOINTS = f"{BASE}/endpoints"
DELIVERIES = f"{BASE}/deliveries"
# A public address written as a literal: accepted without any name being looked up.
PUBLIC_URL = "https://1.1.1.1/hooks/orderflow"
SUBSCRIPTION = {"url": PUBLIC_URL, "event_types": ["orders.*"], "description": "ERP order import"}
ORDER = {"currency": "EUR", "items": [{"sku": "BOOK-1", "quantity": 1, "unit_price": "9.90"}]}
ENDPOINT_FIELDS = {
    "id",
    "url",
    "event_types",
    "description",
    "enabled",
    "disabled_reason",
    "disabled_cause",
    "disabled_at",
    "failing_since",
    "subscribed_at",
    "secret_count",
    "previous_secret_expires_at",
}
DELIVERY_FIELDS = {
    "id",
    "webhook_id",
    "endpoint_id",
    "event_id",
    "event_type",
    "occurred_at",
    "created_at",
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "last_status",
    "last_error",
}


@pytest.fixture
def ivy(api):
    """A signed-in integrator: she manages the organisation's webhook endpoints."""
    return account(api, "ivy@example.com", role="integrator")


@pytest.fixture
def ann(api):
    """A signed-in customer, without the integrator role."""
    return account(api, "ann@example.com")


def subscribe(api, who, body=None, **headers):
    response = api.post(ENDPOINTS, body or SUBSCRIPTION, format="json", **who["auth"], **headers)
    assert response.status_code == 201, response.content
    return response.json()


def deliveries_for(api, endpoint_id, buyer, count=1):
    """``count`` orders placed by ``buyer`` and fanned out: one delivery each to every endpoint subscribed."""
    for _ in range(count):
        placed = api.post("/api/v2/orders", ORDER, format="json", **buyer["auth"])
        assert placed.status_code == 201, placed.content
    deliver_events()
    return list(Delivery.objects.filter(endpoint_id=endpoint_id).order_by("created_at", "id"))


def finished(delivery, status=DeliveryStatus.FAILED, *, attempts=1):
    """The delivery as the sender would leave it after ``attempts`` answered 500 (or 200 if succeeded)."""
    now = timezone.now()
    code = 200 if status == DeliveryStatus.SUCCEEDED else 500
    for number in range(attempts):
        Attempt.objects.create(
            delivery=delivery,
            attempted_at=now + timedelta(seconds=number),
            url=PUBLIC_URL,
            request_headers={"webhook-id": f"msg_{delivery.id.hex}", "webhook-signature": "v1,abc="},
            status_code=code,
            response_body="nope" if code == 500 else "ok",
            duration_ms=12,
        )
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, attempts=attempts, next_attempt_at=None, last_attempt_at=now, last_status=code
    )


def audited(action, target_id):
    return AuditEntry.objects.filter(action=action, target_id=str(target_id))


# --- subscribing and the secret ----------------------------------------------------------------------------------


def test_subscribing_answers_201_with_the_endpoint_and_its_secret_once(api, ivy):
    response = api.post(ENDPOINTS, SUBSCRIPTION, format="json", **ivy["auth"])

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ENDPOINT_FIELDS | {"secret"}
    assert body["secret"].startswith("whsec_")
    assert response["Location"] == f"{ENDPOINTS}/{body['id']}"
    assert body["url"] == PUBLIC_URL
    assert body["event_types"] == ["orders.*"]
    assert (body["enabled"], body["disabled_cause"], body["secret_count"]) == (True, None, 1)

    detail = api.get(f"{ENDPOINTS}/{body['id']}", **ivy["auth"])
    listed = api.get(ENDPOINTS, **ivy["auth"])
    assert detail.status_code == 200
    assert set(detail.json()) == ENDPOINT_FIELDS
    assert body["secret"] not in detail.content.decode()
    assert body["secret"] not in listed.content.decode()
    assert [item["id"] for item in listed.json()["results"]] == [body["id"]]
    assert audited("SubscribeEndpoint", body["id"]).filter(outcome="ok").count() == 1
    assert body["secret"] not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_rotating_answers_a_new_secret_and_the_endpoint_signs_with_both_during_the_overlap(api, ivy):
    endpoint = subscribe(api, ivy)

    response = api.post(
        f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", {"overlap_seconds": 3600}, format="json", **ivy["auth"]
    )

    assert response.status_code == 200, response.content
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != endpoint["secret"]
    assert rotated["secret_count"] == 2
    assert rotated["previous_secret_expires_at"] is not None
    row = Endpoint.objects.get(pk=endpoint["id"])
    assert [secret["value"] for secret in row.secrets] == [rotated["secret"], endpoint["secret"]]
    detail = api.get(f"{ENDPOINTS}/{endpoint['id']}", **ivy["auth"])
    assert detail.json()["secret_count"] == 2
    assert rotated["secret"] not in detail.content.decode()
    assert audited("RotateEndpointSecret", endpoint["id"]).filter(outcome="ok").count() == 1


def test_rotating_without_a_body_keeps_the_previous_secret_for_a_day(api, ivy):
    endpoint = subscribe(api, ivy)

    response = api.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", format="json", **ivy["auth"])

    assert response.status_code == 200, response.content
    expires = datetime.fromisoformat(response.json()["previous_secret_expires_at"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(days=1)


def test_rotating_with_no_overlap_stops_the_previous_secret_at_once(api, ivy):
    endpoint = subscribe(api, ivy)

    response = api.post(
        f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", {"overlap_seconds": 0}, format="json", **ivy["auth"]
    )

    assert response.status_code == 200, response.content
    assert (response.json()["secret_count"], response.json()["previous_secret_expires_at"]) == (1, None)
    assert [secret["value"] for secret in Endpoint.objects.get(pk=endpoint["id"]).secrets] == [
        response.json()["secret"]
    ]


def test_an_overlap_beyond_seven_days_is_a_400_naming_the_field(api, ivy):
    endpoint = subscribe(api, ivy)

    response = api.post(
        f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", {"overlap_seconds": 604801}, format="json", **ivy["auth"]
    )

    body = assert_problem(response, 400, "validation-error", with_errors=True)
    assert set(body["errors"]) == {"overlap_seconds"}


def test_a_replayed_subscription_with_the_same_idempotency_key_subscribes_once(api, ivy):
    first = api.post(ENDPOINTS, SUBSCRIPTION, format="json", HTTP_IDEMPOTENCY_KEY="sub-1", **ivy["auth"])
    again = api.post(ENDPOINTS, SUBSCRIPTION, format="json", HTTP_IDEMPOTENCY_KEY="sub-1", **ivy["auth"])

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    answered = first.json()
    secret = answered.pop("secret")
    assert again.json() == answered  # the same endpoint, without its secret: it is never stored a second time
    assert Endpoint.objects.count() == 1
    assert secret not in str(list(IdempotencyRecord.objects.values_list("response_body", flat=True)))


# --- who may ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", ENDPOINTS, None),
        ("post", ENDPOINTS, SUBSCRIPTION),
        ("get", DELIVERIES, None),
        ("get", f"{DELIVERIES}/{uuid.uuid4()}", None),
        ("post", f"{ENDPOINTS}/{uuid.uuid4()}/enable", None),
    ],
)
def test_a_customer_without_the_integrator_role_gets_403(api, ann, method, path, body):
    response = getattr(api, method)(path, body, format="json", **ann["auth"])

    assert_problem(response, 403, "permission-denied")
    assert Endpoint.objects.count() == 0


def test_a_refusal_for_want_of_the_role_is_audited(api, ann):
    api.post(ENDPOINTS, SUBSCRIPTION, format="json", **ann["auth"])

    entry = AuditEntry.objects.get(action="SubscribeEndpoint")
    assert entry.outcome.startswith("refused")


@pytest.mark.parametrize(("method", "path"), [("get", ENDPOINTS), ("post", ENDPOINTS), ("get", DELIVERIES)])
def test_without_a_token_it_is_401(api, method, path):
    response = getattr(api, method)(path, SUBSCRIPTION if method == "post" else None, format="json")

    assert_problem(response, 401, "not-authenticated")


def test_an_admin_manages_webhooks_too(api):
    admin = account(api, "root@example.com", role="admin")

    assert subscribe(api, admin)["enabled"] is True


# --- validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_types": ["orders.*"]}, "url"),
        ({"url": 42, "event_types": ["orders.*"]}, "url"),
        ({"url": PUBLIC_URL}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": "orders.*"}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": [1]}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": []}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": ["users.user_registered"]}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": ["Orders.Placed"]}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": ["orders.*"], "description": "x" * 501}, "description"),
        ({"url": PUBLIC_URL, "event_types": ["orders.*"], "description": None}, "description"),
        ({"url": "ftp://1.1.1.1/", "event_types": ["orders.*"]}, "url"),
        ({"url": "https://user:pw@1.1.1.1/", "event_types": ["orders.*"]}, "url"),
        ({"url": "https://1.1.1.1:22/", "event_types": ["orders.*"]}, "url"),
    ],
)
def test_an_invalid_subscription_is_a_400_naming_the_field_and_writes_nothing(api, ivy, body, field):
    response = api.post(ENDPOINTS, body, format="json", **ivy["auth"])

    problem = assert_problem(response, 400, "validation-error", with_errors=True)
    assert field in problem["errors"], problem
    assert Endpoint.objects.count() == 0


def test_an_invalid_event_type_is_named_by_its_position_under_event_types(api, ivy):
    body = {"url": PUBLIC_URL, "event_types": ["orders.*", 7, "x" * 101]}

    response = api.post(ENDPOINTS, body, format="json", **ivy["auth"])

    problem = assert_problem(response, 400, "validation-error", with_errors=True)
    assert problem["errors"] == {
        "event_types": ["Item 2: Not a valid string.", "Item 3: Ensure this field has no more than 100 characters."]
    }


@pytest.mark.parametrize("body", [[], "text", None])
def test_a_body_that_is_no_object_is_a_400(api, ivy, body):
    response = api.post(ENDPOINTS, body, format="json", **ivy["auth"])

    assert_problem(response, 400, "validation-error", with_errors=True)


@override_settings(WEBHOOKS_ALLOW_HTTP=False)
def test_https_is_required_when_the_installation_does_not_allow_http(api, ivy):
    response = api.post(ENDPOINTS, {**SUBSCRIPTION, "url": "http://1.1.1.1/hooks"}, format="json", **ivy["auth"])

    problem = assert_problem(response, 400, "validation-error", with_errors=True)
    assert problem["errors"] == {"url": ["An endpoint URL must use https."]}
    assert Endpoint.objects.count() == 0


@override_settings(WEBHOOKS_ALLOW_HTTP=True)
def test_plain_http_is_accepted_where_the_installation_allows_it(api, ivy):
    assert subscribe(api, ivy, {**SUBSCRIPTION, "url": "http://1.1.1.1/hooks"})["url"] == "http://1.1.1.1/hooks"


def test_an_invalid_query_parameter_is_a_400_naming_it(api, ivy):
    for path, query in ((ENDPOINTS, "enabled=maybe"), (DELIVERIES, "status=lost"), (DELIVERIES, "endpoint=12")):
        response = api.get(f"{path}?{query}", **ivy["auth"])
        problem = assert_problem(response, 400, "validation-error", with_errors=True)
        assert query.split("=")[0] in problem["errors"]


def test_redelivering_since_a_time_without_its_offset_or_off_the_calendar_is_a_400(api, ivy):
    endpoint = subscribe(api, ivy)

    for since in ("2026-12-01T08:00:00", "yesterday", 5, "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        response = api.post(f"{ENDPOINTS}/{endpoint['id']}/redeliver", {"since": since}, format="json", **ivy["auth"])
        problem = assert_problem(response, 400, "validation-error", with_errors=True)
        assert set(problem["errors"]) == {"since"}


# --- SSRF: what a URL may reach ----------------------------------------------------------------------------------


def resolving_to(monkeypatch, address):
    """Every host name resolves to ``address`` (the guard asks socket.getaddrinfo, through resolve_host)."""

    def getaddrinfo(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@override_settings(WEBHOOKS_ALLOW_HTTP=True, WEBHOOKS_ALLOWED_NETWORKS=[])
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("http://[::ffff:10.0.0.1]/", "an IPv4-mapped address of 10.0.0.1, a private address"),
        ("http://10.1.2.3:8080/hooks", "a private address"),
        ("http://0x7f.1/", "a valid host name"),  # read as 127.0.0.1 by resolvers: refused as written
        ("https://[::1]/", "a loopback address"),
    ],
)
def test_a_url_to_an_internal_address_is_refused_with_a_400_naming_the_url_and_nothing_is_written(
    api, ivy, url, reason
):
    outbox_before = OutboxEntry.objects.count()

    response = api.post(ENDPOINTS, {**SUBSCRIPTION, "url": url}, format="json", **ivy["auth"])

    problem = assert_problem(response, 400, "validation-error", with_errors=True)
    assert response["Content-Type"] == "application/problem+json"
    assert set(problem["errors"]) == {"url"}
    assert reason in problem["errors"]["url"][0], problem
    assert Endpoint.objects.count() == 0
    assert OutboxEntry.objects.count() == outbox_before


@override_settings(WEBHOOKS_ALLOW_HTTP=True, WEBHOOKS_ALLOWED_NETWORKS=[])
@pytest.mark.parametrize(
    ("address", "reason"),
    [("10.0.0.7", "a private address"), ("169.254.169.254", "a link-local address"), ("fd00::1", "unique local")],
)
def test_a_host_name_that_resolves_to_an_internal_address_is_refused(api, ivy, monkeypatch, address, reason):
    resolving_to(monkeypatch, address)
    outbox_before = OutboxEntry.objects.count()

    response = api.post(
        ENDPOINTS, {**SUBSCRIPTION, "url": "http://hooks.partner.example/in"}, format="json", **ivy["auth"]
    )

    problem = assert_problem(response, 400, "validation-error", with_errors=True)
    assert problem["errors"]["url"] == [
        f"The host hooks.partner.example resolves to {address}, {problem_reason(problem)}."
    ]
    assert reason in problem["errors"]["url"][0]
    assert Endpoint.objects.count() == 0
    assert OutboxEntry.objects.count() == outbox_before


def problem_reason(problem):
    return problem["errors"]["url"][0].split(", ", 1)[1].removesuffix(".")


@override_settings(WEBHOOKS_ALLOWED_NETWORKS=[])
def test_a_host_name_that_resolves_to_a_public_address_is_accepted(api, ivy, monkeypatch):
    resolving_to(monkeypatch, "1.1.1.1")

    assert subscribe(api, ivy, {**SUBSCRIPTION, "url": "https://hooks.partner.example/in"})["enabled"] is True


@override_settings(WEBHOOKS_ALLOWED_NETWORKS=[])
def test_moving_an_endpoint_to_an_internal_address_is_refused_and_changes_nothing(api, ivy):
    endpoint = subscribe(api, ivy)

    response = api.patch(
        f"{ENDPOINTS}/{endpoint['id']}", {"url": "https://127.0.0.1:8443/"}, format="json", **ivy["auth"]
    )

    problem = assert_problem(response, 400, "validation-error", with_errors=True)
    assert set(problem["errors"]) == {"url"}
    assert Endpoint.objects.get(pk=endpoint["id"]).url == PUBLIC_URL


@override_settings(WEBHOOKS_ALLOW_HTTP=True, WEBHOOKS_ALLOWED_NETWORKS=["127.0.0.0/8"])
def test_the_allow_list_lets_a_chosen_network_through(api, ivy):
    assert subscribe(api, ivy, {**SUBSCRIPTION, "url": "http://127.0.0.1:8080/"})["enabled"] is True


# --- changing, disabling, enabling ------------------------------------------------------------------------------


def test_updating_changes_what_is_given_and_keeps_the_rest(api, ivy):
    endpoint = subscribe(api, ivy)

    response = api.patch(
        f"{ENDPOINTS}/{endpoint['id']}",
        {"event_types": ["billing.payment_captured", "orders.*"], "description": "  ERP v2  "},
        format="json",
        **ivy["auth"],
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["event_types"] == ["billing.payment_captured", "orders.*"]
    assert body["description"] == "ERP v2"
    assert body["url"] == PUBLIC_URL
    assert "secret" not in body
    assert audited("UpdateEndpoint", endpoint["id"]).filter(outcome="ok").count() == 1


def test_updating_with_an_unknown_event_type_is_a_400_naming_event_types(api, ivy):
    endpoint = subscribe(api, ivy)

    response = api.patch(f"{ENDPOINTS}/{endpoint['id']}", {"event_types": ["nope.*"]}, format="json", **ivy["auth"])

    problem = assert_problem(response, 400, "validation-error", with_errors=True)
    assert set(problem["errors"]) == {"event_types"}


def test_disabling_needs_a_reason_and_enabling_forgets_it(api, ivy):
    endpoint = subscribe(api, ivy)
    path = f"{ENDPOINTS}/{endpoint['id']}"

    missing = api.post(f"{path}/disable", {}, format="json", **ivy["auth"])
    blank = api.post(f"{path}/disable", {"reason": "   "}, format="json", **ivy["auth"])
    disabled = api.post(f"{path}/disable", {"reason": "Receiver down"}, format="json", **ivy["auth"])

    for refused in (missing, blank):
        assert set(assert_problem(refused, 400, "validation-error", with_errors=True)["errors"]) == {"reason"}
    assert disabled.status_code == 200, disabled.content
    assert {key: disabled.json()[key] for key in ("enabled", "disabled_reason", "disabled_cause")} == {
        "enabled": False,
        "disabled_reason": "Receiver down",
        "disabled_cause": "requested",
    }
    assert [item["id"] for item in api.get(f"{ENDPOINTS}?enabled=false", **ivy["auth"]).json()["results"]] == [
        endpoint["id"]
    ]
    assert api.get(f"{ENDPOINTS}?enabled=true", **ivy["auth"]).json()["results"] == []

    enabled = api.post(f"{path}/enable", **ivy["auth"])

    assert enabled.status_code == 200, enabled.content
    assert (enabled.json()["enabled"], enabled.json()["disabled_reason"], enabled.json()["disabled_at"]) == (
        True,
        "",
        None,
    )
    assert audited("DisableEndpoint", endpoint["id"]).filter(outcome="ok").count() == 1
    assert audited("EnableEndpoint", endpoint["id"]).filter(outcome="ok").count() == 1


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"description": "x"}),
        ("post", "/rotate-secret", {}),
        ("post", "/disable", {"reason": "x"}),
        ("post", "/enable", None),
        ("post", "/redeliver", {"since": "2026-12-01T00:00:00Z"}),
    ],
)
def test_an_unknown_endpoint_is_404(api, ivy, method, suffix, body):
    response = getattr(api, method)(f"{ENDPOINTS}/{uuid.uuid4()}{suffix}", body, format="json", **ivy["auth"])

    assert_problem(response, 404, "not-found")


# --- deliveries ---------------------------------------------------------------------------------------------------


def test_deliveries_are_listed_newest_first_and_filtered(api, ivy, ann):
    endpoint = subscribe(api, ivy)
    other = subscribe(api, ivy, {**SUBSCRIPTION, "event_types": ["billing.*"]})
    first, second = deliveries_for(api, endpoint["id"], ann, count=2)
    finished(first)

    everything = api.get(DELIVERIES, **ivy["auth"])
    of_endpoint = api.get(f"{DELIVERIES}?endpoint={endpoint['id']}", **ivy["auth"])
    failed = api.get(f"{DELIVERIES}?status=failed", **ivy["auth"])
    placed = api.get(f"{DELIVERIES}?event_type=orders.order_placed", **ivy["auth"])
    of_other = api.get(f"{DELIVERIES}?endpoint={other['id']}&event_type=orders.order_placed", **ivy["auth"])

    assert everything.status_code == 200, everything.content
    results = everything.json()["results"]
    assert {item["endpoint_id"] for item in results} >= {endpoint["id"]}
    assert set(results[0]) == DELIVERY_FIELDS
    ids = [item["id"] for item in of_endpoint.json()["results"]]
    assert ids == [str(second.id), str(first.id)]
    assert [item["id"] for item in failed.json()["results"]] == [str(first.id)]
    assert {item["id"] for item in placed.json()["results"]} == {str(first.id), str(second.id)}
    assert of_other.json()["results"] == []
    shown = of_endpoint.json()["results"][1]
    assert shown["webhook_id"] == f"msg_{first.id.hex}"
    assert (shown["status"], shown["attempts"], shown["last_status"]) == ("failed", 1, 500)


def test_a_delivery_is_read_with_every_attempt_by_its_id_or_its_webhook_id(api, ivy, ann):
    endpoint = subscribe(api, ivy)
    (delivery,) = deliveries_for(api, endpoint["id"], ann)
    finished(delivery, attempts=2)

    by_id = api.get(f"{DELIVERIES}/{delivery.id}", **ivy["auth"])
    by_webhook_id = api.get(f"{DELIVERIES}/msg_{delivery.id.hex}", **ivy["auth"])

    assert by_id.status_code == 200, by_id.content
    assert by_id.json() == by_webhook_id.json()
    body = by_id.json()
    assert set(body) == DELIVERY_FIELDS | {"attempt_history"}
    assert len(body["attempt_history"]) == 2
    assert set(body["attempt_history"][0]) == {
        "attempted_at",
        "url",
        "request_headers",
        "status_code",
        "error",
        "response_body",
        "response_truncated",
        "duration_ms",
    }
    assert body["attempt_history"][0]["status_code"] == 500
    assert body["attempt_history"][0]["request_headers"]["webhook-id"] == f"msg_{delivery.id.hex}"
    assert endpoint["secret"] not in by_id.content.decode()


def test_an_unknown_delivery_is_404(api, ivy):
    for reference in (str(uuid.uuid4()), f"msg_{uuid.uuid4().hex}"):
        assert_problem(api.get(f"{DELIVERIES}/{reference}", **ivy["auth"]), 404, "not-found")
        assert_problem(api.post(f"{DELIVERIES}/{reference}/redeliver", **ivy["auth"]), 404, "not-found")
    assert_problem(api.get(f"{DELIVERIES}/msg_nothex", **ivy["auth"]), 404, "not-found")


def test_redelivering_a_pending_delivery_is_refused_with_a_409(api, ivy, ann):
    endpoint = subscribe(api, ivy)
    (delivery,) = deliveries_for(api, endpoint["id"], ann)

    response = api.post(f"{DELIVERIES}/{delivery.id}/redeliver", **ivy["auth"])

    assert_problem(response, 409, "business-rule-violation")
    assert AuditEntry.objects.get(action="RedeliverDelivery").outcome.startswith("refused")


def test_redelivering_a_finished_delivery_answers_202_and_makes_it_pending(api, ivy, ann):
    endpoint = subscribe(api, ivy)
    (delivery,) = deliveries_for(api, endpoint["id"], ann)
    finished(delivery)

    response = api.post(f"{DELIVERIES}/msg_{delivery.id.hex}/redeliver", **ivy["auth"])

    assert response.status_code == 202, response.content
    assert (response.json()["id"], response.json()["status"]) == (str(delivery.id), "pending")
    assert Delivery.objects.get(pk=delivery.id).status == DeliveryStatus.PENDING
    assert audited("RedeliverDelivery", delivery.id).filter(outcome="ok").count() == 1


def test_redelivering_since_a_moment_answers_how_many_finished_ones_go_again(api, ivy, ann):
    endpoint = subscribe(api, ivy)
    first, second, _still_pending = deliveries_for(api, endpoint["id"], ann, count=3)
    finished(first)
    finished(second, DeliveryStatus.SUCCEEDED)
    since = (first.created_at - timedelta(minutes=1)).isoformat()

    response = api.post(f"{ENDPOINTS}/{endpoint['id']}/redeliver", {"since": since}, format="json", **ivy["auth"])

    assert response.status_code == 202, response.content
    assert response.json() == {"redelivered": 2}
    assert set(Delivery.objects.filter(endpoint_id=endpoint["id"]).values_list("status", flat=True)) == {"pending"}
    assert AuditEntry.objects.filter(action="RedeliverSince", outcome="ok").count() == 1


# --- queries: no N+1 ---------------------------------------------------------------------------------------------


#: Queries per read once the caller is known (their row and permissions are cached after the first request):
#: one for a page or an endpoint, two for a delivery (its attempts in one more), however many rows there are.
QUERIES = {"endpoints": 1, "endpoint": 1, "deliveries": 1, "delivery": 2}


def reads_cost_as_pinned(api, ivy, django_assert_num_queries, paths):
    api.get(ENDPOINTS, **ivy["auth"])  # the caller's row and permissions, cached from here on
    for name, path in paths.items():
        with django_assert_num_queries(QUERIES[name]):
            response = api.get(path, **ivy["auth"])
        assert response.status_code == 200, response.content


def test_the_lists_and_views_cost_the_same_queries_however_many_rows(api, ivy, ann, django_assert_num_queries):
    endpoint = subscribe(api, ivy)
    (delivery,) = deliveries_for(api, endpoint["id"], ann)
    finished(delivery, attempts=1)
    paths = {
        "endpoints": ENDPOINTS,
        "endpoint": f"{ENDPOINTS}/{endpoint['id']}",
        "deliveries": DELIVERIES,
        "delivery": f"{DELIVERIES}/{delivery.id}",
    }
    reads_cost_as_pinned(api, ivy, django_assert_num_queries, paths)

    for _ in range(4):
        subscribe(api, ivy)
    for extra in deliveries_for(api, endpoint["id"], ann, count=5):
        if extra.id != delivery.id:
            finished(extra, attempts=3)
    Attempt.objects.filter(delivery=delivery).delete()
    finished(delivery, attempts=5)

    reads_cost_as_pinned(api, ivy, django_assert_num_queries, paths)
    assert len(api.get(ENDPOINTS, **ivy["auth"]).json()["results"]) == 5
    assert len(api.get(DELIVERIES, **ivy["auth"]).json()["results"]) == 20  # a full page
    assert len(api.get(f"{DELIVERIES}/{delivery.id}", **ivy["auth"]).json()["attempt_history"]) == 5
