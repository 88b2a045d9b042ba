"""A real HTTP receiver on a local address, answering as a test scripts it, recording what reached it."""

from __future__ import annotations

import contextlib
import socketserver
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BufferedIOBase


@dataclass
class Received:
    """One request as it arrived."""

    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    header_names: list[str]  # as sent, repeats included


@dataclass
class Exchange:
    """What a script has to answer with: the request, the raw stream back, and the signal that the test ended."""

    request: Received
    out: BufferedIOBase
    released: threading.Event

    def answer(self, status: int, *, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        head = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
        lines = [f"HTTP/1.1 {status} Status", *(f"{name}: {value}" for name, value in head.items()), "", ""]
        self.out.write("\r\n".join(lines).encode("latin-1") + body)
        self.out.flush()


Script = Callable[[Exchange], None]


def ok(exchange: Exchange) -> None:
    exchange.answer(200, headers={"Content-Type": "text/plain"}, body=b"thanks")


@dataclass
class Receiver:
    """Listens on ``host`` (port 0: any free one) until ``close``; counts connections, keeps requests."""

    script: Script = ok
    host: str = "127.0.0.1"
    port: int = 0
    tls: ssl.SSLContext | None = None
    connections: int = 0
    requests: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)  # the SNI each TLS client sent
    released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def setup(self) -> None:
                receiver.connections += 1
                if receiver.tls is not None:
                    self.request = receiver.tls.wrap_socket(self.request, server_side=True)
                super().setup()

            def handle(self) -> None:
                request = _read_request(self.rfile)
                if request is None:
                    return
                receiver.requests.append(request)
                with contextlib.suppress(OSError):  # the client has gone: what several tests are about
                    receiver.script(Exchange(request, self.wfile, receiver.released))

        if self.tls is not None:
            self.tls.sni_callback = lambda _sock, name, _context: self.server_names.append(name)
        self._server = _Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a failed TLS handshake is an expected outcome, not noise for the test output


def _read_request(stream: BufferedIOBase) -> Received | None:
    request_line = stream.readline().decode("latin-1").strip()
    if not request_line:
        return None
    method, target, _version = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    names: list[str] = []
    while (line := stream.readline().decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
        names.append(name.strip())
    body = stream.read(int(headers.get("content-length", "0")))
    return Received(method, target, headers, body, names)
