"""The writes' requests: each one new, as a client would send it, so that no request repeats another.

- ``place`` and ``naive_create``: the same three-line order every time (placing it twice places two
  orders); ``place_key`` adds an ``Idempotency-Key`` of its own to each;
- ``cancel``: the caller's own orders awaiting payment, one per request, never the same twice;
- ``webhook``: a ``payment_intent.succeeded`` event for one open invoice of the caller's per request, for
  its exact amount, signed as the payment provider signs it (``Stripe-Signature``: HMAC-SHA256 of
  ``"<t>.<body>"`` with the run's secret) just before the load starts, since the endpoint refuses a
  signature older than five minutes.

The orders and invoices to cancel and to pay are made beforehand, in bulk, as ``seed_db --bulk`` makes
its orders awaiting payment (``project.pending_orders``); a ``Targets`` hands out each once and makes more
when fewer are left than the next load may use.

wrk sends them through a Lua script (``LUA_SCRIPT``) that reads the run's requests from a file, one per
line (method, path, extra headers and body, tab-separated), formats them once and sends them in turn.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import project
from .load import LUA_DONE

#: The order every place-order request sends, and the naive create's equivalent: three lines in euros.
ORDER_LINES = [
    {"sku": "BOOK-DDD", "quantity": 2, "unit_price": "39.90"},
    {"sku": "MUG-ORDERFLOW", "quantity": 1, "unit_price": "12.50"},
    {"sku": "STICKERS-10", "quantity": 3, "unit_price": "4.20"},
]
PLACE_BODY = json.dumps({"currency": "EUR", "items": ORDER_LINES}, separators=(",", ":"))
NAIVE_BODY = json.dumps({"currency": "EUR", "lines": ORDER_LINES}, separators=(",", ":"))
CANCEL_BODY = json.dumps({"reason": "Ordered by mistake"}, separators=(",", ":"))
WEBHOOK_PATH = "/api/v1/webhooks/payments"

#: The most requests per second a write's load is expected to reach (the naive create does about 100 on
#: one core): a load of ``seconds`` is given ``(seconds + 1) * MAX_RATE`` requests, and says so if it sent more.
MAX_RATE = 600


@dataclass(frozen=True)
class Request:
    """One HTTP request of a write: its method, path, headers beyond the load's own, and JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: str

    def line(self) -> str:
        """The request on one line of the requests file (no field holds a tab or a newline)."""
        fields = [self.method, self.path, *[f"{name}: {value}" for name, value in self.headers.items()], self.body]
        if any("\t" in f or "\n" in f for f in fields):
            raise ValueError(f"a request field holds a tab or a newline: {fields!r}")
        return "\t".join([fields[0], fields[1], str(len(self.headers)), *fields[2:]])


@dataclass(frozen=True)
class Target:
    """An order awaiting payment of the caller's, and its open invoice (amount in minor units)."""

    order_id: str
    invoice_id: str
    amount_minor: int
    currency: str


@dataclass
class Targets:
    """The caller's orders awaiting payment, each handed out once; more are made when they run low."""

    customer_id: str
    customer_email: str
    make: Callable[[str, str, int], list[tuple[str, str, int, str]]] = project.pending_orders
    batch: int = 5000
    left: list[Target] = field(default_factory=list)
    made: int = 0

    def reserve(self, count: int) -> None:
        """At least ``count`` made ahead (before the rounds, so that none is made during one)."""
        self.take(0, keep=count)

    def take(self, count: int, *, keep: int = 0) -> list[Target]:
        while len(self.left) < max(count, keep):
            more = self.make(self.customer_id, self.customer_email, max(self.batch, max(count, keep) - len(self.left)))
            self.made += len(more)
            self.left.extend(Target(*made) for made in more)
        taken, self.left = self.left[:count], self.left[count:]
        return taken

    def give_back(self, unused: list[Target]) -> None:
        """Targets a load was given but did not send: the next load takes them first."""
        self.left[:0] = unused


def signature(body: str, secret: str, at: int) -> str:
    """``Stripe-Signature``'s value for ``body`` signed with ``secret`` at unix time ``at``."""
    v1 = hmac.new(secret.encode(), f"{at}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={v1}"


def payment_succeeded(target: Target) -> str:
    """A ``payment_intent.succeeded`` event paying ``target``'s invoice in full, as the provider sends it."""
    return json.dumps(
        {
            "id": f"evt_bench_{uuid.uuid4().hex}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": f"pi_bench_{uuid.uuid4().hex}",
                    "object": "payment_intent",
                    "amount": target.amount_minor,
                    "amount_received": target.amount_minor,
                    "currency": target.currency.lower(),
                    "metadata": {"invoice_id": target.invoice_id},
                }
            },
        },
        separators=(",", ":"),
    )


def request_for(kind: str, target: Target | None, secret: str) -> Request:
    json_type = {"Content-Type": "application/json"}
    match kind:
        case "naive_create":
            return Request("POST", "/bench/naive/orders", json_type, NAIVE_BODY)
        case "place":
            return Request("POST", "/api/v2/orders", json_type, PLACE_BODY)
        case "place_key":
            key = {"Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
            return Request("POST", "/api/v2/orders", {**json_type, **key}, PLACE_BODY)
        case "cancel":
            assert target is not None
            return Request("POST", f"/api/v2/orders/{target.order_id}/cancel", json_type, CANCEL_BODY)
        case "webhook":
            assert target is not None
            body = payment_succeeded(target)
            signed = {"Stripe-Signature": signature(body, secret, int(time.time()))}
            return Request("POST", WEBHOOK_PATH, {**json_type, **signed}, body)
    raise ValueError(f"unknown write {kind!r}")


def needs_target(kind: str) -> bool:
    return kind in {"cancel", "webhook"}


@dataclass
class Batch:
    """The requests of one load, and the targets they use (to give back those it did not send)."""

    requests: list[Request]
    targets: list[Target]


def batch(kind: str, count: int, targets: Targets, secret: str) -> Batch:
    """``count`` requests of ``kind``, each with a target of its own when the kind needs one."""
    chosen = targets.take(count) if needs_target(kind) else []
    if chosen:
        return Batch([request_for(kind, target, secret) for target in chosen], chosen)
    return Batch([request_for(kind, None, secret) for _ in range(count)], [])


def load_size(seconds: float) -> int:
    """How many requests one load of ``seconds`` is given (wrk cycles through them past the end)."""
    return int((seconds + 1) * MAX_RATE)


def write_requests(path: Path, requests: list[Request]) -> Path:
    path.write_text("".join(request.line() + "\n" for request in requests))
    return path


LUA_SCRIPT = (
    """\
-- Written by scripts/bench_http/writes.py: sends the requests of REQUESTS_FILE in turn (each once, unless
-- the load outlasts them) with the load's own headers, then prints wrk's figures as one JSON line.
local requests = {}
local sent = 0

init = function(args)
  local file = assert(io.open("REQUESTS_FILE", "r"))
  for line in file:lines() do
    local fields = {}
    for value in (line .. "\\t"):gmatch("([^\\t]*)\\t") do
      fields[#fields + 1] = value
    end
    local headers = {}
    for name, value in pairs(wrk.headers) do
      headers[name] = value
    end
    local extra = tonumber(fields[3])
    for i = 1, extra do
      local name, value = fields[3 + i]:match("^([^:]+): (.*)$")
      headers[name] = value
    end
    requests[#requests + 1] = wrk.format(fields[1], fields[2], headers, fields[4 + extra])
  end
  file:close()
end

request = function()
  sent = sent + 1
  return requests[(sent - 1) % #requests + 1]
end

"""
    + LUA_DONE
)


def lua_script(path: Path, requests_file: Path) -> Path:
    path.write_text(LUA_SCRIPT.replace("REQUESTS_FILE", str(requests_file)))
    return path
