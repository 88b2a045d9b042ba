"""What is measured: each endpoint, the server it runs on (read cache on or off), and the ratios reported.

A write (``write`` set) is a POST whose every request needs a body or a target of its own (an order to
cancel, an invoice to pay, an idempotency key); ``writes`` makes them, and the load sends each once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    path: str  # with {order_id}, {invoice_id} filled in by ``url``
    read_cache: bool  # which server: READ_CACHE_ENABLED=true or false
    baseline: bool = False
    write: str | None = None  # a write: which kind of request ``writes.requests`` makes for it

    @property
    def method(self) -> str:
        return "GET" if self.write is None else "POST"

    def url(self, base_url: str, subject: dict[str, Any]) -> str:
        return base_url + self.path.format(**subject)


ENDPOINTS = [
    Endpoint("bare", "bare Django view (constant JSON)", "/bench/bare", True, baseline=True),
    Endpoint("drf_empty", "DRF APIView + simplejwt, empty body", "/bench/drf-empty", True, baseline=True),
    Endpoint("naive_detail", "naive ModelViewSet: order detail", "/bench/naive/orders/{order_id}", True, baseline=True),
    Endpoint("naive_list", "naive ModelViewSet: list, 20", "/bench/naive/orders", True, baseline=True),
    Endpoint("detail_hit", "GET /api/v2/orders/{id} (read cache on)", "/api/v2/orders/{order_id}", True),
    Endpoint("detail_off", "GET /api/v2/orders/{id} (read cache off)", "/api/v2/orders/{order_id}", False),
    Endpoint("list", "GET /api/v2/orders (first page, 20, read cache on)", "/api/v2/orders", True),
    Endpoint("list_off", "GET /api/v2/orders (first page, 20, read cache off)", "/api/v2/orders", False),
    Endpoint("invoice", "GET /api/v2/invoices/{id}", "/api/v2/invoices/{invoice_id}", True),
    Endpoint("me", "GET /api/v1/users/me", "/api/v1/users/me", True),
    # Writes, on the server with the read cache on (production's default); each request a new one.
    Endpoint(
        "naive_create",
        "naive ModelViewSet: create (order, 3 lines, invoice)",
        "/bench/naive/orders",
        True,
        baseline=True,
        write="naive_create",
    ),
    Endpoint("place", "POST /api/v2/orders (3 lines)", "/api/v2/orders", True, write="place"),
    Endpoint("place_key", "POST /api/v2/orders (3 lines, Idempotency-Key)", "/api/v2/orders", True, write="place_key"),
    Endpoint("cancel", "POST /api/v2/orders/{id}/cancel", "/api/v2/orders/{order_id}/cancel", True, write="cancel"),
    Endpoint(
        "webhook",
        "POST /api/v1/webhooks/payments (signed, captures)",
        "/api/v1/webhooks/payments",
        True,
        write="webhook",
    ),
]
BY_KEY = {endpoint.key: endpoint for endpoint in ENDPOINTS}

#: (what, numerator, denominator): req/s of the first over req/s of the second, from the same run.
RATIOS = [
    ("order detail (cache hit) / DRF + simplejwt empty view", "detail_hit", "drf_empty"),
    ("order detail (cache hit) / bare Django view", "detail_hit", "bare"),
    ("order detail (cache off) / naive detail", "detail_off", "naive_detail"),
    ("order list (cache off) / naive list", "list_off", "naive_list"),
    ("order list (cache hit) / naive list", "list", "naive_list"),
    ("place order / naive create", "place", "naive_create"),
    ("place order with Idempotency-Key / naive create", "place_key", "naive_create"),
    ("cancel order / naive create", "cancel", "naive_create"),
    ("payment webhook / naive create", "webhook", "naive_create"),
]

#: The growth phase: the database path of an order's detail and of the first list page, on the server
#: with the read cache off (what grows with the tables is the database's work, not the cache's).
GROWTH_ENDPOINTS = [
    Endpoint("detail_off", "GET /api/v2/orders/{id} (read cache off)", "/api/v2/orders/{order_id}", False),
    Endpoint("list_off", "GET /api/v2/orders (first page, read cache off)", "/api/v2/orders", False),
]


def rotated(items: list[Any], by: int) -> list[Any]:
    """``items`` rotated left by ``by`` (modulo its length): round r starts with the r-th item."""
    if not items:
        return []
    shift = by % len(items)
    return items[shift:] + items[:shift]


def ratios(rates: dict[str, float], pairs: list[tuple[str, str, str]] = RATIOS) -> list[tuple[str, float | None]]:
    """Each pair's ratio of req/s; None when either side was not measured or the denominator is 0."""
    out: list[tuple[str, float | None]] = []
    for what, numerator, denominator in pairs:
        top, bottom = rates.get(numerator), rates.get(denominator)
        out.append((what, top / bottom if top is not None and bottom else None))
    return out
