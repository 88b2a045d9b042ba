"""The run's steps: seed the data, pick the caller, check every endpoint, the interleaved rounds, growth."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import load, machine, project, writes
from .endpoints import Endpoint, rotated
from .environment import manage
from .middleware import REQUEST_HEADER, RESPONSE_HEADER
from .report import say
from .server import Server


@dataclass
class Options:
    rounds: int
    seconds: float
    warmup: float
    connections: int
    port: int
    run_dir: Path
    use_wrk: bool
    #: The caller's orders awaiting payment, for the cancels and the webhooks (None: no such write measured).
    targets: writes.Targets | None = None
    webhook_secret: str = ""


@dataclass
class Measured:
    """Every round's figures of one endpoint, and its queries per request."""

    endpoint: Endpoint
    runs: list[load.LoadResult] = field(default_factory=list)
    core_busy: list[dict[str, float]] = field(default_factory=list)  # per run: cpu0, cpu1 busy fractions
    queries: int | None = None
    status: int | None = None

    @property
    def rate(self) -> float:
        return load.median([run.rate for run in self.runs])

    @property
    def p50_ms(self) -> float:
        return load.median([run.p50_ms for run in self.runs])

    @property
    def p99_ms(self) -> float:
        return load.median([run.p99_ms for run in self.runs])

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.runs)

    def core(self, name: str) -> float:
        return load.median([sample.get(name, 0.0) for sample in self.core_busy])


# --- data ----------------------------------------------------------------------------------------------


def bulk_available(env: dict[str, str]) -> bool:
    """Whether ``seed_db`` has its bulk path (``--bulk``) on this commit."""
    return "--bulk" in manage(env, "seed_db", "--help")


def seed(env: dict[str, str], orders: int, customers: int, *, bulk: bool) -> float:
    """Add ``orders`` orders over ``customers`` customers through ``seed_db``; the seconds it took.

    The database is then settled as an operator would after a bulk load, so that what follows measures
    reads rather than autovacuum's catch-up: statistics and visibility maps (``VACUUM (ANALYZE)``) and
    the dirty pages written out (``CHECKPOINT``). That time is not counted.
    """
    started = time.perf_counter()
    for command in project.seed_commands(orders, customers, bulk=bulk):
        manage(env, *command)
    took = time.perf_counter() - started
    settle(env["DATABASE_URL"])
    return took


def settle(database_url: str) -> None:
    import psycopg

    settling = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:  # VACUUM runs outside any transaction
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")
    say(f"  database settled (VACUUM (ANALYZE), CHECKPOINT) in {time.perf_counter() - settling:.0f} s")


def order_count() -> int:
    from django.db import connections

    connections.close_all()  # a fresh look after a seeding subprocess
    return int(project.load(project.ORDER).objects.count())


def pick_subject() -> dict[str, Any]:
    """The caller: the customer with the most orders; one of their orders that has an invoice; a token."""
    from django.db.models import Count

    orders = project.load(project.ORDER).objects
    invoices = project.load(project.INVOICE_READ).objects
    top = (
        orders.values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n", "customer_id")
        .values_list("customer_id", "n")
        .first()
    )
    if top is None:
        raise RuntimeError("no orders in the bench database: the seeding step did not create any")
    customer_id, count = top
    # The invoice by its order (invoices.order_id): orders.invoice_id is filled in for some states only.
    invoice = invoices.filter(customer_id=customer_id).order_by("-created_at").first()
    if invoice is None:
        raise RuntimeError(f"customer {customer_id} has no invoice in invoices_read")
    order = orders.get(pk=invoice.order_id)
    return {
        "customer_id": str(customer_id),
        "customer_email": order.customer_email,
        "customer_orders": count,
        "order_id": str(order.id),
        "invoice_id": str(invoice.id),
        "total_orders": orders.count(),
        "token": project.access_token(customer_id),
    }


def request_headers(subject: dict[str, Any]) -> dict[str, str]:
    """What every benchmark request carries: the caller's token, and the TLS proxy's header."""
    return {"Authorization": f"Bearer {subject['token']}", "X-Forwarded-Proto": "https", "Host": "localhost"}


# --- checks --------------------------------------------------------------------------------------------


def probe(url: str, headers: dict[str, str], write: writes.Request | None = None) -> tuple[int, int | None, int]:
    """(status, SQL statements, body bytes) of one request that asks the bench middleware to count: a GET of
    ``url``, or ``write`` (``url`` is then its server's)."""
    if write is not None:
        request = urllib.request.Request(
            url + write.path,
            data=write.body.encode(),
            method=write.method,
            headers={**headers, **write.headers, REQUEST_HEADER: "1"},
        )
    else:
        request = urllib.request.Request(url, headers={**headers, REQUEST_HEADER: "1"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            status, counted = response.status, response.headers.get(RESPONSE_HEADER)
    except urllib.error.HTTPError as exc:
        body, status, counted = exc.read(), exc.code, exc.headers.get(RESPONSE_HEADER)
    return status, int(counted) if counted is not None else None, len(body)


def check_endpoints(
    server: Server, endpoints: list[Endpoint], subject: dict[str, Any], found: dict[str, Measured], options: Options
) -> None:
    """Each endpoint answers 2xx; its queries per request counted on the second request (warm cache; a
    write's second request is a new one, as each of its requests in the load is)."""
    headers = request_headers(subject)
    for endpoint in endpoints:
        first, second = write_requests(endpoint, 2, options).requests if endpoint.write else (None, None)
        url = server.base_url if endpoint.write else endpoint.url(server.base_url, subject)
        probe(url, headers, first)  # the first: caches filled, connections opened
        status, queries, size = probe(url, headers, second)
        measured = found.setdefault(endpoint.key, Measured(endpoint))
        measured.status, measured.queries = status, queries
        say(f"  {endpoint.label}: {status}, {queries} queries, {size:,} bytes")
        if status >= 300:
            raise RuntimeError(f"{url} answered {status}: the benchmark would measure an error, not the endpoint")


# --- load ----------------------------------------------------------------------------------------------


def write_requests(endpoint: Endpoint, count: int, options: Options) -> writes.Batch:
    assert endpoint.write is not None
    if writes.needs_target(endpoint.write) and options.targets is None:
        raise RuntimeError(f"{endpoint.key} needs the caller's orders awaiting payment, and none were made")
    targets = options.targets or writes.Targets("", "")
    return writes.batch(endpoint.write, count, targets, options.webhook_secret)


def hit(endpoint: Endpoint, url: str, headers: dict[str, str], seconds: float, options: Options) -> load.LoadResult:
    """One load of ``seconds`` on ``url``; a write's requests are made for it (each new) just before."""
    if endpoint.write is None:
        if options.use_wrk:
            script = options.run_dir / "bench.lua"
            if not script.exists():
                script.write_text(load.LUA_SCRIPT)
            return load.run_wrk(url, headers, seconds=seconds, connections=options.connections, script=script)
        return load.run_python(url, headers, seconds=seconds, connections=options.connections)
    batch = write_requests(endpoint, writes.load_size(seconds), options)
    if options.use_wrk:
        requests = writes.write_requests(options.run_dir / "requests.tsv", batch.requests)
        script = writes.lua_script(options.run_dir / "writes.lua", requests)
        result = load.run_wrk(url, headers, seconds=seconds, connections=options.connections, script=script)
    else:
        plain = [(r.method, r.path, r.headers, r.body) for r in batch.requests]
        result = load.run_python(url, headers, seconds=seconds, connections=options.connections, requests=plain)
    if batch.targets and options.targets is not None:
        # Those sent, and those maybe in flight when the load stopped, are spent; the others serve again.
        options.targets.give_back(batch.targets[result.requests + options.connections :])
    if result.requests + options.connections > len(batch.requests):
        say(f"    WARNING: {endpoint.key} sent more requests than it was given; some were sent twice")
    return result


def measure(endpoint: Endpoint, server: Server, subject: dict[str, Any], options: Options, into: Measured) -> None:
    url = endpoint.url(server.base_url, subject)
    headers = request_headers(subject)
    if options.warmup > 0:
        hit(endpoint, url, headers, options.warmup, options)
    before = machine.cpu_times()
    result = hit(endpoint, url, headers, options.seconds, options)
    into.core_busy.append(machine.busy(before, machine.cpu_times()))
    into.runs.append(result)
    flag = f"  ({result.errors} errors)" if result.errors else ""
    cores = into.core_busy[-1]
    say(
        f"    {endpoint.label}: {result.rate:,.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms"
        f"  [core0 {cores.get('cpu0', 0) * 100:.0f}%, core1 {cores.get('cpu1', 0) * 100:.0f}% busy]{flag}"
    )


def rounds(
    env: dict[str, str], endpoints: list[Endpoint], subject: dict[str, Any], options: Options
) -> dict[str, Measured]:
    """``options.rounds`` rounds; in each, one server at a time on core 0 (the cache-on and cache-off
    servers alternate which goes first), each of its endpoints for ``options.seconds`` after a warm-up,
    in an order rotated by the round's number. The first start of each server checks its endpoints."""
    found: dict[str, Measured] = {}
    checked: set[bool] = set()
    kinds = sorted({endpoint.read_cache for endpoint in endpoints}, reverse=True)  # cache on first
    for number in range(options.rounds):
        for read_cache in rotated(kinds, number):
            mine = rotated([e for e in endpoints if e.read_cache == read_cache], number)
            say(f"  round {number + 1}/{options.rounds}: server with READ_CACHE_ENABLED={str(read_cache).lower()}")
            with Server(env, options.run_dir, options.port, read_cache=read_cache) as server:
                if read_cache not in checked:
                    check_endpoints(server, mine, subject, found, options)
                    checked.add(read_cache)
                for endpoint in mine:
                    measure(endpoint, server, subject, options, found.setdefault(endpoint.key, Measured(endpoint)))
    return found
