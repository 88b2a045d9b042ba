"""GET /metrics over HTTP: the bearer token, the recorded metrics of real requests, and the sampled gauges."""

import time
import uuid

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from prometheus_client.parser import text_string_to_metric_families

from apps.messaging.models import DeliveryFailure
from apps.observability import sampling
from apps.outbox.models import OutboxEntry
from tests.support.events import deliver_events
from tests.support.http import assert_problem

pytestmark = pytest.mark.django_db

TOKEN = "e2e-metrics-token-0123456789"
ORDERS = "/api/v1/orders"
ORDER = {"currency": "EUR", "items": [{"sku": "book-123", "quantity": 2, "unit_price": "12.30"}]}


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


@pytest.fixture(autouse=True)
def fresh_sample():
    """No snapshot of an earlier test: the first scrape samples the database."""
    cache.delete_many([sampling.LOCK_KEY, sampling.SNAPSHOT_KEY])
    yield
    cache.delete_many([sampling.LOCK_KEY, sampling.SNAPSHOT_KEY])


def resample():
    """What the end of METRICS_SAMPLE_SECONDS does: the next scrape samples again."""
    cache.delete(sampling.LOCK_KEY)


def scrape(api) -> dict[tuple[str, frozenset], float]:
    response = api.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def pending_rows() -> int:
    return OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING).count()


def processed_rows() -> int:
    return OutboxEntry.objects.filter(status=OutboxEntry.Status.PROCESSED).count()


# --- the token ---------------------------------------------------------------------------------------


def test_without_a_configured_token_there_is_no_metrics_endpoint(api, settings):
    settings.METRICS_TOKEN = ""

    assert_problem(api.get("/metrics", HTTP_AUTHORIZATION="Bearer anything-at-all-here"), 404, "not-found")


def test_a_scrape_without_the_token_is_a_401_naming_the_bearer_scheme(api):
    response = api.get("/metrics")

    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}-not", "Bearer wrong-token-of-length-30", f"Basic {TOKEN}"])
def test_a_scrape_with_another_token_or_scheme_is_a_401(api, header):
    response = api.get("/metrics", HTTP_AUTHORIZATION=header)

    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_metrics_are_read_only(api):
    response = api.post("/metrics", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert_problem(response, 405, "method-not-allowed")
    assert response["Allow"] == "GET, HEAD"


# --- what real requests record ---------------------------------------------------------------------------


def test_placing_an_order_counts_the_command_the_request_and_the_outbox_entry_it_left(api, ann):
    before = scrape(api)

    response = api.post(ORDERS, ORDER, format="json", **ann["auth"])
    assert response.status_code == 201
    resample()
    after = scrape(api)

    ok = {"bus": "command", "message": "PlaceOrder", "outcome": "ok"}
    assert value(after, "orderflow_bus_dispatch_total", **ok) == value(before, "orderflow_bus_dispatch_total", **ok) + 1
    placed = {"bus": "command", "message": "PlaceOrder"}
    name = "orderflow_bus_dispatch_duration_seconds_count"
    assert value(after, name, **placed) == value(before, name, **placed) + 1
    post = {"method": "POST", "route": "api/v1/orders", "status": "201"}
    assert (
        value(after, "orderflow_http_requests_total", **post)
        == value(before, "orderflow_http_requests_total", **post) + 1
    )
    name = "orderflow_http_request_duration_seconds_count"
    assert value(after, name, **post) == value(before, name, **post) + 1
    # The order's OrderPlaced waits in the outbox until it is drained.
    assert pending_rows() >= 1
    assert value(after, "orderflow_outbox_pending") == pending_rows()
    assert value(after, "orderflow_outbox_oldest_pending_age_seconds") >= 0
    assert ("orderflow_outbox_oldest_pending_age_seconds", frozenset()) in after
    assert ("orderflow_outbox_dead", frozenset()) in after
    assert value(after, "orderflow_outbox_dead") == 0


def test_delivering_the_events_empties_the_outbox_gauge_and_counts_publishing_and_handling(api, ann):
    api.post(ORDERS, ORDER, format="json", **ann["auth"])
    before = scrape(api)
    processed_before = processed_rows()

    deliver_events()  # OrderPlaced, and what the policies it triggers add (billing's InvoiceIssued)
    resample()
    after = scrape(api)

    assert value(after, "orderflow_outbox_pending") == 0
    assert value(after, "orderflow_outbox_oldest_pending_age_seconds") == 0
    published = value(after, "orderflow_outbox_published_total") - value(before, "orderflow_outbox_published_total")
    assert published == processed_rows() - processed_before
    assert published >= 1
    handled = {"consumer": "orders-read", "outcome": "handled"}
    assert value(after, "orderflow_consumer_events_total", **handled) > value(
        before, "orderflow_consumer_events_total", **handled
    )
    lag = "orderflow_consumer_lag_seconds_count"
    assert value(after, lag, consumer="orders-read") > value(before, lag, consumer="orders-read")


def test_requests_are_labelled_by_their_url_pattern_and_unmatched_ones_alike(api, ann):
    before = scrape(api)
    order_id = api.post(ORDERS, ORDER, format="json", **ann["auth"]).json()["id"]
    deliver_events()
    assert api.get(f"{ORDERS}/{order_id}", **ann["auth"]).status_code == 200
    assert api.get(f"{ORDERS}/{uuid.uuid4()}", **ann["auth"]).status_code == 404
    api.get(f"/no-such-page/{uuid.uuid4()}")

    after = scrape(api)

    detail = {"method": "GET", "route": "api/v1/orders/<uuid:order_id>"}
    requests = "orderflow_http_requests_total"
    assert value(after, requests, status="200", **detail) == value(before, requests, status="200", **detail) + 1
    assert value(after, requests, status="404", **detail) == value(before, requests, status="404", **detail) + 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, requests, **unmatched) == value(before, requests, **unmatched) + 1
    assert not [key for key in after if key[0] == requests and order_id in str(key[1])]


def test_reading_an_order_twice_is_a_miss_then_a_hit_of_the_orders_cache(api, ann):
    order_id = api.post(ORDERS, ORDER, format="json", **ann["auth"]).json()["id"]
    deliver_events()
    before = scrape(api)

    for _ in range(2):
        assert api.get(f"{ORDERS}/{order_id}", **ann["auth"]).status_code == 200
    after = scrape(api)

    requests = "orderflow_cache_requests_total"
    assert (
        value(after, requests, layer="orders", result="miss")
        == value(before, requests, layer="orders", result="miss") + 1
    )
    assert (
        value(after, requests, layer="orders", result="hit")
        == value(before, requests, layer="orders", result="hit") + 1
    )


def test_a_request_refused_by_a_rate_limit_is_counted_under_its_budget(api, ann, settings, rate_limit_window):
    settings.RATE_LIMIT_TOKEN = "1/m"
    before = scrape(api)
    credentials = {"email": "ann@example.com", "password": "wrong-password-1"}

    api.post("/api/v1/auth/token", credentials, format="json")
    assert api.post("/api/v1/auth/token", credentials, format="json").status_code == 429
    after = scrape(api)

    rejections = "orderflow_rate_limit_rejections_total"
    assert value(after, rejections, scope="auth.token") == value(before, rejections, scope="auth.token") + 1


def test_a_payment_webhook_with_a_bad_signature_is_counted_as_such(api, settings):
    settings.PAYMENT_WEBHOOK_SECRETS = ["whsec_metrics_e2e"]
    before = scrape(api)

    response = api.post(
        "/api/v1/webhooks/payments",
        data=b'{"id": "evt_1", "type": "payment_intent.succeeded"}',
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={int(time.time())},v1={'0' * 64}",
    )
    assert response.status_code == 400
    after = scrape(api)

    webhooks = "orderflow_payment_webhooks_total"
    assert value(after, webhooks, outcome="bad_signature") == value(before, webhooks, outcome="bad_signature") + 1
    assert value(after, webhooks, outcome="malformed") == value(before, webhooks, outcome="malformed")


def test_verifying_the_audit_chain_records_that_it_is_intact_and_when(api, ann):
    started = time.time()
    call_command("seal_audit_log", verbosity=0)

    call_command("verify_audit_chain", "--quiet")
    after = scrape(api)

    assert value(after, "orderflow_audit_chain_intact") == 1
    assert value(after, "orderflow_audit_chain_verified_timestamp_seconds") >= int(started)


# --- the sampled gauges ----------------------------------------------------------------------------------


def test_dead_outbox_entries_and_dead_letters_are_sampled(api, ann, settings):
    api.post(ORDERS, ORDER, format="json", **ann["auth"])
    entry = OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING).first()
    OutboxEntry.objects.filter(pk=entry.pk).update(status=OutboxEntry.Status.DEAD)
    DeliveryFailure.objects.create(
        consumer="orders-read", event_id=uuid.uuid4(), envelope={}, attempts=5, status=DeliveryFailure.Status.DEAD
    )
    DeliveryFailure.objects.create(
        consumer="orders-read", event_id=uuid.uuid4(), envelope={}, attempts=1, status=DeliveryFailure.Status.RETRYING
    )

    found = scrape(api)

    assert value(found, "orderflow_outbox_dead") == 1
    assert value(found, "orderflow_dead_letters") == 1
    assert ("orderflow_audit_unsealed_oldest_age_seconds", frozenset()) in found
    queue_depth = ("orderflow_dead_letter_queue_messages", frozenset())
    if settings.EVENTS_BROKER_URL.startswith("amqp"):
        assert found[queue_depth] >= 0  # RabbitMQ's dead-letter queue, shared with whatever else runs there
    else:  # the in-memory broker of the fast suite has no dead-letter queue: the depth is absent, not 0
        assert queue_depth not in found


def test_the_database_is_sampled_once_per_interval_however_often_it_is_scraped(api):
    with CaptureQueriesContext(connection) as first:
        scrape(api)
    with CaptureQueriesContext(connection) as again:
        scrape(api)
        scrape(api)
    resample()
    with CaptureQueriesContext(connection) as next_interval:
        scrape(api)

    # outbox: pending, its oldest, dead; delivery failures: dead; audit: the oldest unsealed;
    # webhooks: due deliveries, the oldest due, disabled endpoints.
    assert len(first) == 8, [query["sql"] for query in first]
    assert len(again) == 0
    assert len(next_interval) == 8


def test_a_sampler_whose_database_is_down_leaves_its_gauges_out_and_the_scrape_answers(api, monkeypatch):
    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setitem(sampling._samplers, "outbox", unreachable)
    before = value(scrape(api), "orderflow_metrics_sample_errors_total", sampler="outbox")
    resample()

    found = scrape(api)

    assert ("orderflow_outbox_pending", frozenset()) not in found
    assert ("orderflow_dead_letters", frozenset()) in found
    assert value(found, "orderflow_metrics_sample_errors_total", sampler="outbox") == before + 1
