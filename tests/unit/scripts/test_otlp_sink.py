"""scripts.otlp_sink: what the real OTLP exporter sends, it decodes and counts; anything else is refused."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from scripts.otlp_sink import Tally, handler_for


@pytest.fixture
def sink() -> Iterator[tuple[str, Tally]]:
    tally = Tally()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(tally))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tally
    finally:
        server.shutdown()
        server.server_close()


def test_it_counts_the_spans_and_traces_the_otlp_exporter_sends(sink) -> None:
    url, tally = sink
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces")))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("request"), tracer.start_as_current_span("command"):
        pass
    with tracer.start_as_current_span("another trace"):
        pass
    provider.shutdown()

    assert (tally.requests, tally.spans, len(tally.traces)) == (3, 3, 2)
    assert tally.summary() == "otlp-sink: 3 requests, 3 spans, 2 traces"


@pytest.mark.parametrize(("path", "body", "status"), [("/v1/traces", b"\xff\xff\xff", 400), ("/v1/logs", b"", 404)])
def test_a_body_that_is_no_trace_export_or_another_path_is_refused(sink, path, body, status) -> None:
    url, tally = sink
    request = urllib.request.Request(f"{url}{path}", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == status
    assert tally.requests == 0
