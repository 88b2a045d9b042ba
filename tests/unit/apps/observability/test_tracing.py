"""apps.observability.tracing: the bus span, the sampler, trace ids in log lines, nothing at all when off."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass

import pytest
import structlog
from opentelemetry import context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision
from opentelemetry.trace import SpanKind, StatusCode

from apps.messaging.runner import traceparent_of
from apps.observability import tracing
from apps.observability.logging import formatter
from domain.kernel.result import Err, Ok


@dataclass(frozen=True)
class PlaceSomething:
    pass


def test_with_tracing_off_nothing_is_made_and_no_context_is_given_out() -> None:
    assert not tracing.enabled()
    with tracing.span("anything") as span:
        assert span is None
        assert tracing.traceparent() == ""
        assert tracing.current_ids() is None
    assert tracing.start_span("anything") is None


def test_the_bus_middleware_names_the_span_after_the_message_and_records_the_outcome(spans) -> None:
    middleware = tracing.TracingMiddleware("command")

    middleware(PlaceSomething(), lambda message: Ok(1))
    middleware(PlaceSomething(), lambda message: Err(ValueError("no")))

    def crash(message):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        middleware(PlaceSomething(), crash)

    ok, rejected, failed = spans.get_finished_spans()
    assert {span.name for span in (ok, rejected, failed)} == {"command PlaceSomething"}
    assert ok.attributes["orderflow.outcome"] == "ok"
    assert ok.status.status_code == StatusCode.UNSET
    # A refusal is an answer, not a fault: the span keeps its status, and says why.
    assert rejected.attributes["orderflow.outcome"] == "rejected"
    assert rejected.attributes["orderflow.error"] == "ValueError"
    assert rejected.status.status_code == StatusCode.UNSET
    assert failed.attributes["orderflow.outcome"] == "error"
    assert failed.status.status_code == StatusCode.ERROR
    assert [event.name for event in failed.events] == ["exception"]


def test_a_stored_traceparent_is_continued_and_a_root_starts_a_new_trace(spans) -> None:
    with tracing.span("command") as command:
        stored = tracing.traceparent()
        with tracing.span("elsewhere", root=True) as elsewhere:
            pass
    with tracing.span("consumer", parent=stored) as consumer:
        pass

    assert stored.startswith(f"00-{command.get_span_context().trace_id:032x}-")
    assert consumer.parent.span_id == command.get_span_context().span_id
    assert elsewhere.parent is None
    assert elsewhere.get_span_context().trace_id != command.get_span_context().trace_id


def test_a_malformed_traceparent_starts_a_new_trace_rather_than_failing(spans) -> None:
    with tracing.span("batch"), tracing.span("consumer", parent="00-not-a-trace") as span:
        pass
    assert span.parent is None  # not the batch's child either
    assert span.get_span_context().is_valid


def test_the_sampler_drops_parentless_client_spans_and_quiet_tasks_and_keeps_the_rest() -> None:
    sampler = tracing.QuietSampler(ALWAYS_ON, quiet_tasks=["outbox.drain"])
    provider = TracerProvider(sampler=sampler)
    tracer = provider.get_tracer("test")

    def decision(name: str, kind: SpanKind, parent=None) -> Decision:
        return sampler.should_sample(parent, 1, name, kind).decision

    assert decision("SELECT", SpanKind.CLIENT) == Decision.DROP
    assert decision("run/outbox.drain", SpanKind.CONSUMER) == Decision.DROP
    assert decision("apply_async/outbox.drain", SpanKind.PRODUCER) == Decision.DROP
    assert decision("run/audit.purge_expired", SpanKind.CONSUMER) == Decision.RECORD_AND_SAMPLE
    assert decision("POST orders", SpanKind.SERVER) == Decision.RECORD_AND_SAMPLE
    with tracer.start_as_current_span("command PlaceOrder"):
        assert decision("SELECT", SpanKind.CLIENT, context.get_current()) == Decision.RECORD_AND_SAMPLE


def test_log_lines_carry_the_trace_and_span_ids_of_the_current_span(spans) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger = logging.getLogger("tests.unit.observability.tracing")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        with tracing.span("command") as span:
            structlog.get_logger("tests.unit.observability.tracing").info("inside")
        structlog.get_logger("tests.unit.observability.tracing").info("outside")
    finally:
        logger.removeHandler(handler)

    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    context = span.get_span_context()
    assert (inside["trace_id"], inside["span_id"]) == (f"{context.trace_id:032x}", f"{context.span_id:016x}")
    assert "trace_id" not in outside


@dataclass
class Delivered:
    headers: dict | None


HEADER_CONTEXT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
ENVELOPE_CONTEXT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.parametrize(
    ("headers", "envelope", "continued"),
    [
        ({"traceparent": HEADER_CONTEXT}, ENVELOPE_CONTEXT, HEADER_CONTEXT),
        (None, ENVELOPE_CONTEXT, ENVELOPE_CONTEXT),
        ({"traceparent": b"00-bytes"}, ENVELOPE_CONTEXT, ENVELOPE_CONTEXT),
        ({"traceparent": 7}, None, None),
        ({}, "", None),
    ],
)
def test_a_consumer_continues_the_header_else_the_envelope_and_ignores_what_is_no_context(headers, envelope, continued):
    assert traceparent_of({"traceparent": envelope}, Delivered(headers)) == continued


def test_the_instrumentations_otel_python_disabled_instrumentations_names_are_left_out(monkeypatch) -> None:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "psycopg, redis")
    tracing.install(TracerProvider())
    try:
        assert DjangoInstrumentor().is_instrumented_by_opentelemetry
        assert not PsycopgInstrumentor().is_instrumented_by_opentelemetry
        assert not RedisInstrumentor().is_instrumented_by_opentelemetry
    finally:
        tracing.uninstall()
    assert not DjangoInstrumentor().is_instrumented_by_opentelemetry
