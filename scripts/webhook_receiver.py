"""A webhook receiver for trying orderflow's webhooks locally: verifies each request, prints one line.

    python -m scripts.webhook_receiver --secret whsec_... [--port 9000] [--status 204]

Each request is verified with the Standard Webhooks library (``standardwebhooks``), as a partner's
receiver would: a valid one prints its ``webhook-id``, type and aggregate and is answered ``--status``
(204 by default; answer 503 or 410 to watch the retries or the endpoint being disabled); a request
that does not verify prints why and is answered 401. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

MAX_BODY_BYTES = 1024 * 1024


def handler_for(webhook: Webhook, status: int) -> type[BaseHTTPRequestHandler]:
    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 <= length <= MAX_BODY_BYTES:
                self._answer(413, f"refused: a body of {length} bytes")
                return
            body = self.rfile.read(length)
            try:
                event: Any = webhook.verify(body, dict(self.headers.items()))
            except WebhookVerificationError as exc:
                self._answer(401, f"refused: {exc}")
                return
            aggregate = event.get("aggregate", {})
            self._answer(
                status,
                f"{self.headers['webhook-id']} {event.get('type')} "
                f"{aggregate.get('type')} {aggregate.get('id')} v{aggregate.get('version')}",
            )

        def _answer(self, code: int, line: str) -> None:
            print(f"{code} {line}", flush=True)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: one line per request is printed by ``_answer``."""

    return Receive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True, help="the endpoint's signing secret (whsec_...)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--status", type=int, default=204, help="the status answered to a valid request")
    options = parser.parse_args(argv)
    try:
        webhook = Webhook(options.secret)
    except Exception as exc:  # the library refuses a secret that is not base64 after its prefix
        print(f"webhook_receiver: the secret is not a signing secret ({exc})", file=sys.stderr)
        return 2
    if not 200 <= options.status <= 599:
        print("webhook_receiver: --status is an HTTP status from 200 to 599", file=sys.stderr)
        return 2
    try:
        server = ThreadingHTTPServer((options.host, options.port), handler_for(webhook, options.status))
    except OSError as exc:
        print(f"webhook_receiver: cannot listen on {options.host}:{options.port}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"receiving webhooks on http://{options.host}:{options.port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
