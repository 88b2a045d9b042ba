"""A receiver of OTLP/HTTP traces that counts what it is sent and keeps nothing: a stand-in collector.

It lets tracing's cost be measured with the real exporter at work (serialising, batching, sending)
on a machine with no collector: point ``OTEL_EXPORTER_OTLP_ENDPOINT`` at it. Each request body is
decoded as the collector would decode it, so a malformed export is a 400 here too. On Ctrl-C or
SIGTERM it prints how many requests, spans and traces it received.

    python -m scripts.otlp_sink --port 4318
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PATH = "/v1/traces"


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.spans = 0
        self.traces: set[bytes] = set()

    def add(self, request: ExportTraceServiceRequest) -> None:
        with self.lock:
            self.requests += 1
            for resource in request.resource_spans:
                for scope in resource.scope_spans:
                    self.spans += len(scope.spans)
                    self.traces.update(span.trace_id for span in scope.spans)

    def summary(self) -> str:
        return f"otlp-sink: {self.requests} requests, {self.spans} spans, {len(self.traces)} traces"


def handler_for(tally: Tally) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != PATH:
                self.send_error(404, f"only {PATH} is received here")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = ExportTraceServiceRequest()
            try:
                request.ParseFromString(body)
            except Exception as exc:  # protobuf's DecodeError, and whatever a truncated body raises
                self.send_error(400, f"not an OTLP trace export: {exc}")
                return
            tally.add(request)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # one line per export would drown the bench
            return

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4318)
    args = parser.parse_args(argv)
    tally = Tally()
    try:
        server = ThreadingHTTPServer((args.host, args.port), handler_for(tally))
    except OSError as exc:
        print(f"otlp-sink: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"otlp-sink: receiving traces on http://{args.host}:{args.port}{PATH}", flush=True)
    server.serve_forever()
    server.server_close()
    print(tally.summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
