"""OpenTelemetry tracing: one trace from the HTTP request through the outbox and the broker to every consumer.

``configure`` runs once per process (``ObservabilityConfig.ready``). With no exporter configured
(``TRACING_EXPORTERS`` is empty: neither ``OTEL_TRACES_EXPORTER`` nor an OTLP endpoint is set) it
does nothing at all: no SDK, no instrumentation, and ``span`` is a bare ``yield``. Otherwise it
installs the SDK's tracer provider, whose sampler and resource come from the standard variables
(``OTEL_SERVICE_NAME``, ``OTEL_TRACES_SAMPLER``, ``OTEL_RESOURCE_ATTRIBUTES``...), the exporters,
and the instrumentations of Django, psycopg, Redis, Celery and requests.

How the asynchronous path keeps the trace:

- ``traceparent`` is the W3C header of the current span: the outbox stores it with each event
  (``apps.outbox.store``), in the same transaction as the change.
- The dispatcher publishes each event in a ``publish`` span that is a child of that stored
  context, and puts the publish span's ``traceparent`` in the message headers.
- A consumer handles each event in a ``process`` span that is a child of the header's context
  (the envelope's ``traceparent`` when a message has no header), so a projection's work and the
  command a policy dispatches (and that command's own events) belong to the same trace.
- Work done for many events at once (a dispatcher batch, a consumer batch) is a span of its own,
  a root, linked from each event's span: its SQL belongs to one trace, not to any one event's.

The sampler drops what would otherwise be a new trace every second: client calls (SQL, Redis,
HTTP) made outside any span, and the frequent periodic tasks named in ``TRACING_QUIET_TASKS``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from domain.kernel.result import Err, Result

log = logging.getLogger(__name__)

TRACER_NAME = "orderflow"
DEFAULT_SERVICE_NAME = "orderflow"
HEADER = "traceparent"
#: Probes and scrapes, every few seconds each: a trace apiece would bury the ones that matter
#: (OTEL_PYTHON_DJANGO_EXCLUDED_URLS or OTEL_PYTHON_EXCLUDED_URLS replace this list).
UNTRACED_URLS = "/health/,/metrics$"

#: The outbox column, the message header and the envelope field hold W3C trace context, whatever
#: OTEL_PROPAGATORS says incoming HTTP requests carry.
_W3C = TraceContextTextMapPropagator()

_tracer: trace.Tracer = trace.NoOpTracerProvider().get_tracer(TRACER_NAME)
_enabled = False
_configured = False
_installed: list[Any] = []


def enabled() -> bool:
    """Whether spans are recorded in this process."""
    return _enabled


def configure(
    exporters: Sequence[str], *, quiet_tasks: Iterable[str] = (), disabled: bool = False, role: str = ""
) -> bool:
    """Install the SDK, its ``exporters`` (``otlp``, ``console``) and the instrumentations, once per process.

    Returns whether tracing is on. ``quiet_tasks``: Celery task names whose runs start no trace of their own.
    """
    global _configured
    if _configured or disabled or not exporters:
        return _enabled
    _configured = True
    # As everywhere in orderflow, an empty variable counts as unset (the SDK would take "" as a value).
    for name in [name for name, value in os.environ.items() if name.startswith("OTEL_") and not value]:
        del os.environ[name]
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    # The sampler OTEL_TRACES_SAMPLER names, as the SDK's TracerProvider would build it on its own.
    from opentelemetry.sdk.trace.sampling import _get_from_env_or_default

    resource = Resource.create({"orderflow.process.role": role} if role else {})
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):  # no OTEL_SERVICE_NAME
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    provider = TracerProvider(
        resource=resource,
        sampler=QuietSampler(_get_from_env_or_default(), quiet_tasks=quiet_tasks),
    )
    for name in exporters:
        exporter: SpanExporter
        if name == "console":
            exporter = ConsoleSpanExporter()
        else:  # "otlp": endpoint, headers, timeout and compression from the OTEL_EXPORTER_OTLP_* variables
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    install(provider)
    log.debug("tracing on", extra={"exporters": list(exporters)})
    return True


def install(provider: trace.TracerProvider) -> None:
    """Record this process's spans with ``provider``, and instrument the libraries with it.

    ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` (the standard variable: ``django``, ``psycopg``, ``redis``,
    ``celery``, ``requests``, comma-separated) leaves those out: their spans cost the most where a request
    makes many calls, and most of that cost is paid whether the trace is sampled or not.
    """
    global _tracer, _enabled
    _tracer = provider.get_tracer(TRACER_NAME)
    _enabled = True
    disabled = {name.strip() for name in os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",")}
    for name, instrumentor in _instrumentors().items():
        if name in disabled:
            continue
        options: dict[str, Any] = {"tracer_provider": provider}
        if name == "django":
            chosen = os.environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS") or os.environ.get("OTEL_PYTHON_EXCLUDED_URLS")
            options["excluded_urls"] = None if chosen else UNTRACED_URLS
        instrumentor.instrument(**options)
        _installed.append(instrumentor)


def uninstall() -> None:
    """Stop recording and undo the instrumentations (tests that installed a provider of their own)."""
    global _tracer, _enabled
    while _installed:
        _installed.pop().uninstrument()
    _tracer = trace.NoOpTracerProvider().get_tracer(TRACER_NAME)
    _enabled = False


def _instrumentors() -> dict[str, Any]:
    """The instrumentations orderflow uses, by the names ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` takes."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    return {
        "django": DjangoInstrumentor(),
        "psycopg": PsycopgInstrumentor(),
        "redis": RedisInstrumentor(),
        "celery": CeleryInstrumentor(),
        "requests": RequestsInstrumentor(),
    }


def start_span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
    parent: str | None = None,
    links: Sequence[Link] = (),
    root: bool = False,
) -> Span | None:
    """A span, not made current: the caller ends it (one per event of a batch). None with tracing off.

    ``parent`` continues that ``traceparent`` instead of the current span; ``root`` starts a new trace
    even inside another span.
    """
    if not _enabled:
        return None
    return _tracer.start_span(name, context=_context(parent, root), kind=kind, attributes=attributes, links=links)


@contextmanager
def span(name: str, **options: Any) -> Iterator[Span | None]:
    """``start_span(name, **options)`` around the block, current inside it and ended after it. An exception
    leaving the block is recorded on the span and marks it as an error. With tracing off, nothing is made."""
    started = start_span(name, **options)
    if started is None:
        yield None
        return
    with trace.use_span(started, end_on_exit=True):
        yield started


def _context(parent: str | None, root: bool) -> otel_context.Context | None:
    if parent:  # a malformed one gives an empty context: a new trace, never the current span's
        return _W3C.extract({HEADER: parent}, context=otel_context.Context())
    return otel_context.Context() if root else None


def link_to(span_: Span | None) -> list[Link]:
    return [Link(span_.get_span_context())] if span_ is not None else []


def end(span_: Span | None, error: str | None = None) -> None:
    """End ``span_`` (nothing with tracing off), as failed with ``error`` when one is given."""
    if span_ is None:
        return
    if error:
        fail(span_, error)
    span_.end()


def fail(span_: Span | None, error: str, exc: BaseException | None = None) -> None:
    """Mark ``span_`` as failed with ``error`` (and ``exc``'s traceback), without ending it."""
    if span_ is None:
        return
    if exc is not None:
        span_.record_exception(exc)
    span_.set_status(Status(StatusCode.ERROR, error))


def traceparent(span_: Span | None = None) -> str:
    """The W3C ``traceparent`` of ``span_`` (the current span by default); "" when nothing is recorded."""
    if not _enabled:
        return ""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier, context=None if span_ is None else trace.set_span_in_context(span_))
    return carrier.get(HEADER, "")


def set_attributes(attributes: Mapping[str, Any]) -> None:
    """Add ``attributes`` to the current span (the request's, in a view or a middleware)."""
    if _enabled:
        trace.get_current_span().set_attributes(attributes)


def current_ids() -> tuple[str, str] | None:
    """The current trace and span ids as hex, for log lines; None outside a recorded span."""
    if not _enabled:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class TracingMiddleware:
    """Bus middleware: a span per dispatch, named after the message, with its outcome.

    ``ok``, ``rejected`` (an ``Err``: the span keeps an OK status, a refusal is no fault) or
    ``error`` (an exception, recorded on the span).
    """

    def __init__(self, bus: str) -> None:
        self._bus = bus

    def __call__(self, message: Any, call_next: Callable[[Any], Result[Any, Exception]]) -> Result[Any, Exception]:
        if not _enabled:
            return call_next(message)
        name = type(message).__name__
        with _tracer.start_as_current_span(
            f"{self._bus} {name}", attributes={"orderflow.bus": self._bus, "orderflow.message": name}
        ) as current:
            try:
                result = call_next(message)
            except Exception:  # recorded on the span, with its traceback, as it leaves the block
                current.set_attribute("orderflow.outcome", "error")
                raise
            if isinstance(result, Err):
                current.set_attributes(
                    {"orderflow.outcome": "rejected", "orderflow.error": type(result.error).__name__}
                )
            else:
                current.set_attribute("orderflow.outcome", "ok")
            return result


class QuietSampler(Sampler):
    """``delegate``'s decision, except for would-be traces that say nothing: dropped.

    Those are client spans (a query, a Redis command, an HTTP call) with no parent, made by
    loops that poll, and the runs of the periodic ``quiet_tasks`` (beat sends one every second).
    """

    def __init__(self, delegate: Sampler, *, quiet_tasks: Iterable[str] = ()) -> None:
        self._delegate = delegate
        # The Celery instrumentation names a task's spans "run/<task>" (worker) and "apply_async/<task>" (sender).
        self._quiet = frozenset(f"{verb}/{task}" for task in quiet_tasks for verb in ("run", "apply_async"))

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Any = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        is_root = not trace.get_current_span(parent_context).get_span_context().is_valid
        if is_root and (kind == SpanKind.CLIENT or name in self._quiet):
            return SamplingResult(Decision.DROP)
        return self._delegate.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"QuietSampler({self._delegate.get_description()})"
