"""One order placed over HTTP is one trace: the request, the outbox, the broker, the consumers, billing's command.

Spans go to an in-memory exporter. The dispatcher and the consumers run in-process (the in-memory
broker here, RabbitMQ in the integration run), so the trace context crosses a real message header.
"""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from apps.messaging import registry
from apps.messaging.publisher import BrokerUnavailable, EventPublisher
from apps.observability import tracing
from apps.outbox.dispatcher import OutboxDispatcher
from apps.outbox.models import OutboxEntry
from tests.support.events import deliver_events
from tests.support.http import account

pytestmark = pytest.mark.django_db

ORDER = {"currency": "EUR", "items": [{"sku": "BOOK-1", "quantity": 2, "unit_price": "12.50"}]}


def in_trace(spans: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [span for span in spans.get_finished_spans() if span.context.trace_id == trace_id]


def named(trace: list[ReadableSpan], name: str, **attributes: str) -> list[ReadableSpan]:
    return [
        span
        for span in trace
        if span.name == name and all((span.attributes or {}).get(key) == value for key, value in attributes.items())
    ]


def test_an_order_placed_over_http_is_one_trace_through_the_outbox_the_broker_and_billing(api, spans) -> None:
    customer = account(api, "ada@example.com")
    spans.clear()

    response = api.post("/api/v2/orders", ORDER, format="json", HTTP_X_REQUEST_ID="place-order-1", **customer["auth"])
    assert response.status_code == 201, response.content
    deliver_events()

    request = [span for span in spans.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert len(request) == 1
    request_span = request[0]
    assert request_span.name == "POST ^api/(?P<version>v2)/orders"  # the method and the route's pattern
    assert request_span.attributes["orderflow.correlation_id"] == "place-order-1"
    trace = in_trace(spans, request_span.context.trace_id)

    place = named(trace, "command PlaceOrder", **{"orderflow.outcome": "ok"})
    assert len(place) == 1
    assert place[0].parent.span_id == request_span.context.span_id
    # The outbox row keeps the context of the insert, inside the command's unit of work.
    (append,) = [
        span
        for span in named(trace, "outbox append")
        if span.attributes["orderflow.event_types"] == ("orders.order_placed",)
    ]
    entry = OutboxEntry.objects.get(aggregate_id=response.json()["id"], event_type="orders.order_placed")
    assert entry.traceparent.startswith(f"00-{append.context.trace_id:032x}-{append.context.span_id:016x}-")

    # The dispatcher publishes the event as a child of that context; the consumers continue from its header.
    (publish,) = named(trace, "orders.order_placed publish")
    assert publish.kind == SpanKind.PRODUCER
    assert publish.parent.span_id == append.context.span_id
    (policy,) = named(trace, "billing-policies process", **{"orderflow.event_type": "orders.order_placed"})
    assert policy.parent.span_id == publish.context.span_id
    assert policy.attributes["orderflow.correlation_id"] == "place-order-1"

    # Billing's policy dispatches IssueInvoice, whose event goes through the outbox and the broker in turn.
    (issue,) = named(trace, "command IssueInvoice", **{"orderflow.outcome": "ok"})
    assert issue.parent.span_id == policy.context.span_id
    (issued,) = named(trace, "billing.invoice_issued publish")
    issued_append = next(span for span in trace if span.context.span_id == issued.parent.span_id)
    assert issued_append.name == "outbox append"
    assert issued_append.parent.span_id != request_span.context.span_id

    # The orders projection applies both events in the same trace.
    projected = {span.attributes["orderflow.event_type"] for span in named(trace, "orders-read process")}
    assert projected == {"orders.order_placed", "billing.invoice_issued"}
    assert all(span.status.is_ok for span in trace)


def test_a_batch_of_events_is_a_trace_of_its_own_linked_from_each_event(api, spans) -> None:
    customer = account(api, "ada@example.com")
    deliver_events()  # the account's own events
    for number in range(3):
        response = api.post(
            "/api/v2/orders", ORDER, format="json", HTTP_X_REQUEST_ID=f"order-{number}", **customer["auth"]
        )
        assert response.status_code == 201, response.content
    spans.clear()

    deliver_events()

    finished = spans.get_finished_spans()
    # The orders' events go first; billing's invoices, issued meanwhile, in a later batch.
    batch = min((span for span in finished if span.name == "outbox publish batch"), key=lambda span: span.start_time)
    assert batch.parent is None
    assert batch.attributes["messaging.batch.message_count"] == 3
    publishes = named(list(finished), "orders.order_placed publish")
    assert len(publishes) == 3
    traces = {span.context.trace_id for span in publishes}
    assert len(traces) == 3
    assert batch.context.trace_id not in traces
    for span in publishes:
        assert [link.context.span_id for link in span.links] == [batch.context.span_id]


def test_a_failing_consumer_marks_its_spans_as_errors_and_its_log_lines_name_them(api, spans, caplog, settings) -> None:
    customer = account(api, "ada@example.com")
    response = api.post("/api/v2/orders", ORDER, format="json", **customer["auth"])
    assert response.status_code == 201
    consumer = registry.consumer_named("billing-policies")

    def broken(envelope):
        raise RuntimeError("billing is broken")

    broken_consumer = type(consumer)(name=consumer.name, binding_keys=consumer.binding_keys, handle=broken)
    spans.clear()

    deliver_events(broken_consumer)

    attempts = named(list(spans.get_finished_spans()), "billing-policies process")
    assert len(attempts) == settings.CONSUMER_MAX_ATTEMPTS  # one span per delivery, all in the order's trace
    assert len({span.context.trace_id for span in attempts}) == 1
    for span in attempts:
        assert not span.status.is_ok
        assert "billing is broken" in span.status.description
        assert [event.name for event in span.events] == ["exception"]
    (dead,) = [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "event dead-lettered"
    ]
    last = max(attempts, key=lambda span: span.start_time)
    assert (dead["trace_id"], dead["span_id"]) == (f"{last.context.trace_id:032x}", f"{last.context.span_id:016x}")


def test_without_an_exporter_nothing_is_recorded_and_the_outbox_stores_no_context(api) -> None:
    assert not tracing.enabled()
    customer = account(api, "ada@example.com")

    response = api.post("/api/v2/orders", ORDER, format="json", **customer["auth"])

    assert response.status_code == 201
    entry = OutboxEntry.objects.get(aggregate_id=response.json()["id"])
    assert entry.traceparent == ""


def test_probes_and_scrapes_start_no_trace(api, spans, settings) -> None:
    settings.METRICS_TOKEN = "a-metrics-token-for-the-test"

    assert api.get("/health/live").status_code == 200
    assert api.get("/metrics", HTTP_AUTHORIZATION="Bearer a-metrics-token-for-the-test").status_code == 200
    assert api.get("/api/v2/orders").status_code == 401  # a real request, for contrast

    (traced,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert traced.name.startswith("GET ^api/")


class BrokerLostMidway(EventPublisher):
    def publish(self, envelopes, **options):
        raise BrokerUnavailable("ConnectionResetError: the broker went away")


def test_a_batch_the_broker_drops_midway_ends_each_publish_span_as_failed(api, spans) -> None:
    customer = account(api, "ada@example.com")
    deliver_events()  # the account's own events
    response = api.post("/api/v2/orders", ORDER, format="json", **customer["auth"])
    assert response.status_code == 201
    spans.clear()

    with pytest.raises(BrokerUnavailable):
        OutboxDispatcher(BrokerLostMidway()).dispatch_batch()

    (publish,) = named(list(spans.get_finished_spans()), "orders.order_placed publish")
    assert not publish.status.is_ok
    assert "the broker went away" in publish.status.description
    assert OutboxEntry.objects.get(aggregate_id=response.json()["id"]).status == OutboxEntry.Status.PENDING
