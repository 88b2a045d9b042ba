"""The bounded load: customers placing and cancelling orders over HTTP, a reader, and the health probers.

Every request is recorded as a ``Sample`` (when it started, what it was, how it ended, how long it
took). A writer is a signed-in customer (a JWT bearer) who places an order with an
``Idempotency-Key`` and, when the answer is lost or a 5xx/429, tries again with the same key, as a
careful client does (at most ``ATTEMPTS`` times, waiting as ``Retry-After`` says, at most 2 s).
Each order's one line carries a SKU naming the scenario, the writer and the order
(``CHAOS-<SCENARIO>-<writer>-<n>``, upper-cased as every SKU), so the database can be asked
afterwards what became of every order a client tried to place. One accepted order in four is
cancelled by its customer (its invoice must then be voided), so that aggregates carry several
events in order.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from .report import STARTED

ATTEMPTS = 3
WRITE_TIMEOUT = 10.0
READ_TIMEOUT = 10.0
PROBE_TIMEOUT = 5.0
PASSWORD = "chaos-Customer-password-1"


@dataclass(frozen=True)
class Sample:
    kind: str  # place, cancel, read, live, ready
    at: float  # seconds since the run started, when the request was sent
    status: str  # the HTTP status, or "timeout" / "error"
    seconds: float


@dataclass
class Attempted:
    """One order a writer tried to place: its SKU, and the order id if an answer said 201."""

    sku: str
    order_id: str | None = None


def now() -> float:
    return time.monotonic() - STARTED


class Client:
    def __init__(self, base: str, samples: list[Sample]) -> None:
        self.base, self.samples = base, samples
        self.session = requests.Session()

    def call(self, kind: str, method: str, path: str, timeout: float, **kwargs: Any) -> requests.Response | None:
        started = now()
        try:
            response = self.session.request(method, self.base + path, timeout=timeout, **kwargs)
        except requests.Timeout:
            self.samples.append(Sample(kind, started, "timeout", now() - started))
            self.session.close()  # the connection is in an unknown state
            return None
        except requests.RequestException:
            self.samples.append(Sample(kind, started, "error", now() - started))
            self.session.close()
            return None
        self.samples.append(Sample(kind, started, str(response.status_code), now() - started))
        return response


def sign_up(base: str, email: str) -> str:
    """Register a customer and sign in; the access token."""
    session = requests.Session()
    response = session.post(
        f"{base}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": email.split("@")[0]},
        timeout=30,
    )
    if response.status_code != 201:
        raise RuntimeError(f"registering {email}: {response.status_code} {response.text[:300]}")
    response = session.post(f"{base}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"signing in {email}: {response.status_code} {response.text[:300]}")
    return str(response.json()["access"])


def retry_after(response: requests.Response | None) -> float:
    if response is not None:
        try:
            return min(2.0, max(0.1, float(response.headers.get("Retry-After", ""))))
        except ValueError:
            pass
    return 0.5


@dataclass
class Load:
    """The writers, the reader and the probers, started and stopped together, tagging orders by scenario."""

    base: str
    tokens: list[str]
    reader_token: str
    think: float = 0.3
    samples: list[Sample] = field(default_factory=list)
    attempted: dict[str, list[Attempted]] = field(default_factory=dict)  # by scenario
    scenario: str = "setup"
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, scenario: str) -> None:
        self.scenario = scenario
        self.attempted.setdefault(scenario, [])
        self._stop.clear()
        self._threads = [
            *(
                threading.Thread(target=self._writer, args=(n, token), name=f"writer-{n}", daemon=True)
                for n, token in enumerate(self.tokens)
            ),
            threading.Thread(target=self._reader, name="reader", daemon=True),
            threading.Thread(target=self._prober, args=("live", "/health/live", 0.1), name="live", daemon=True),
            threading.Thread(target=self._prober, args=("ready", "/health/ready", 1.0), name="ready", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop sending; requests under way are waited for (each is bounded by its timeout)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(WRITE_TIMEOUT * ATTEMPTS + 10)

    def _writer(self, n: int, token: str) -> None:
        client = Client(self.base, self.samples)
        auth = {"Authorization": f"Bearer {token}"}
        scenario, sequence = self.scenario, 0
        while not self._stop.is_set():
            sequence += 1
            order = Attempted(sku=f"CHAOS-{scenario}-{n}-{sequence}".upper())  # SKUs are upper-cased
            self.attempted[scenario].append(order)
            headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
            body = {
                "currency": "EUR",
                "items": [{"sku": order.sku, "quantity": 1 + sequence % 3, "unit_price": "9.90"}],
            }
            for attempt in range(ATTEMPTS):
                response = client.call("place", "POST", "/api/v2/orders", WRITE_TIMEOUT, json=body, headers=headers)
                if response is not None and response.status_code == 201:
                    order.order_id = str(response.json()["id"])
                    break
                if response is not None and response.status_code < 500 and response.status_code != 429:
                    break  # refused: trying again would be refused again
                if attempt + 1 < ATTEMPTS and self._stop.wait(retry_after(response)):
                    break
            if order.order_id and sequence % 4 == 0:
                client.call(
                    "cancel",
                    "POST",
                    f"/api/v2/orders/{order.order_id}/cancel",
                    WRITE_TIMEOUT,
                    json={"reason": "Changed my mind"},
                    headers=auth,
                )
            self._stop.wait(self.think)

    def _reader(self) -> None:
        client = Client(self.base, self.samples)
        auth = {"Authorization": f"Bearer {self.reader_token}"}
        while not self._stop.is_set():
            client.call("read", "GET", "/api/v2/orders", READ_TIMEOUT, headers=auth)
            self._stop.wait(0.2)

    def _prober(self, kind: str, path: str, every: float) -> None:
        client = Client(self.base, self.samples)
        while not self._stop.is_set():
            client.call(kind, "GET", path, PROBE_TIMEOUT)
            self._stop.wait(every)

    def window(self, start: float, end: float, kinds: tuple[str, ...]) -> list[Sample]:
        return [s for s in list(self.samples) if start <= s.at < end and s.kind in kinds]
