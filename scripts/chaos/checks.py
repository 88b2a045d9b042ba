"""What became of the orders a scenario's clients tried to place: asked of the database with SQL only.

For the orders whose line SKU names the scenario (``CHAOS-<SCENARIO>-``), once the system has had
time to converge:

- **lost**: events of those orders and of their invoices that are still pending or dead in the
  outbox, or that a consumer bound to their type (the bindings ``declare_event_topology`` reports)
  has no inbox row for; and orders a client saw accepted (201) that are not in the database;
- **mismatch**: orders whose end state disagrees with what happened to them: no invoice; an invoice
  not ``open`` for an order awaiting payment or not ``void`` for a cancelled one; an ``orders_read``
  row missing or not equal to the write side (status, version, invoice id, status and version); an
  ``invoices_read`` row missing or not equal to the invoice (status, version); an aggregate whose
  events a consumer recorded out of version order;
- **doubled**: a second order for one SKU (a client's retry placed it twice), a second invoice for
  one order, a second ``billing.invoice_issued`` for one invoice, a second successful audit entry
  of one action on one target.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import psycopg
from psycopg.rows import TupleRow

SCOPED_ORDERS = """
    SELECT DISTINCT o.id FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.sku LIKE %(prefix)s
"""


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more."""
    regex = re.escape(pattern).replace(r"\#", "\0").replace(r"\*", "[^.]+")
    regex = regex.replace(r"\.\0", r"(\..+)?").replace("\0", ".*")
    return re.fullmatch(regex, routing_key) is not None


def parse_bindings(declare_output: str) -> dict[str, tuple[str, ...]]:
    """``queue orderflow.<consumer> bound to a, b`` lines -> {consumer: (a, b)}."""
    bindings = {}
    for line in declare_output.splitlines():
        match = re.fullmatch(r"queue orderflow\.(\S+) bound to (.+)", line.strip())
        if match:
            bindings[match.group(1)] = tuple(key.strip() for key in match.group(2).split(","))
    return bindings


def one(cur: psycopg.Cursor[TupleRow]) -> TupleRow:
    """The one row an aggregate query returns."""
    row = cur.fetchone()
    assert row is not None
    return row


@dataclass
class Consistency:
    orders: int = 0
    lost: int = 0
    mismatch: int = 0
    doubled: int = 0
    details: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, name: str, count: int) -> None:
        if count:
            self.details[name] = self.details.get(name, 0) + count
            setattr(self, kind, getattr(self, kind) + count)

    @property
    def converged(self) -> bool:
        return self.lost == 0 and self.mismatch == 0

    def describe(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in sorted(self.details.items())) or "consistent"


def check(dsn: str, scenario: str, bindings: dict[str, tuple[str, ...]], accepted_ids: list[str]) -> Consistency:
    prefix = {"prefix": f"CHAOS-{scenario.upper()}-%"}
    result = Consistency()
    with psycopg.connect(dsn, connect_timeout=3) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({SCOPED_ORDERS}) s", prefix)
        result.orders = one(cur)[0]
        if accepted_ids:
            cur.execute("SELECT count(*) FROM orders WHERE id = ANY(%s::uuid[])", (accepted_ids,))
            result.add("lost", "accepted orders missing", len(set(accepted_ids)) - one(cur)[0])

        cur.execute(
            f"""
            WITH scoped AS ({SCOPED_ORDERS})
            SELECT
              count(*) FILTER (WHERE i.id IS NULL),
              count(*) FILTER (WHERE i.id IS NOT NULL AND (
                  (o.status = 'cancelled' AND i.status <> 'void')
                  OR (o.status = 'pending_payment' AND i.status <> 'open'))),
              count(*) FILTER (WHERE r.id IS NULL OR r.status <> o.status OR r.version <> o.version
                  OR r.invoice_id IS DISTINCT FROM i.id OR r.invoice_status IS DISTINCT FROM i.status
                  OR r.invoice_version IS DISTINCT FROM i.version),
              count(*) FILTER (WHERE i.id IS NOT NULL AND (ir.id IS NULL OR ir.status <> i.status
                  OR ir.version <> i.version))
            FROM scoped s JOIN orders o ON o.id = s.id
            LEFT JOIN invoices i ON i.order_id = o.id
            LEFT JOIN orders_read r ON r.id = o.id
            LEFT JOIN invoices_read ir ON ir.id = i.id
            """,
            prefix,
        )
        no_invoice, wrong_invoice, orders_read, invoices_read = one(cur)
        result.add("mismatch", "orders without invoice", no_invoice)
        result.add("mismatch", "invoices in the wrong state", wrong_invoice)
        result.add("mismatch", "orders_read rows differing", orders_read)
        result.add("mismatch", "invoices_read rows differing", invoices_read)

        # The scenario's aggregates: its orders and their invoices.
        cur.execute(
            f"""
            WITH scoped AS ({SCOPED_ORDERS})
            SELECT id FROM scoped UNION SELECT i.id FROM invoices i JOIN scoped s ON i.order_id = s.id
            """,
            prefix,
        )
        aggregates = [row[0] for row in cur.fetchall()]
        cur.execute(
            "SELECT id, aggregate_id, aggregate_version, event_type, status FROM outbox WHERE aggregate_id = ANY(%s)",
            (aggregates,),
        )
        events = cur.fetchall()
        result.add("lost", "outbox entries pending", sum(1 for e in events if e[4] == "pending"))
        result.add("lost", "outbox entries dead", sum(1 for e in events if e[4] == "dead"))
        cur.execute("SELECT consumer, event_id, id FROM inbox WHERE event_id = ANY(%s)", ([e[0] for e in events],))
        seen: dict[tuple[str, object], int] = {(consumer, event_id): row for consumer, event_id, row in cur.fetchall()}
        undelivered = 0
        by_consumer_aggregate: dict[tuple[str, object], list[tuple[int, int]]] = defaultdict(list)
        for event_id, aggregate_id, version, event_type, _ in events:
            missing = False
            for consumer, keys in bindings.items():
                if any(topic_matches(key, event_type) for key in keys):
                    row = seen.get((consumer, event_id))
                    if row is None:
                        missing = True
                    else:
                        by_consumer_aggregate[(consumer, aggregate_id)].append((row, version))
            undelivered += missing
        result.add("lost", "events not in every bound consumer's inbox", undelivered)
        out_of_order = 0
        for handled in by_consumer_aggregate.values():
            versions = [version for _, version in sorted(handled)]
            out_of_order += versions != sorted(versions)
        result.add("mismatch", "aggregates handled out of version order", out_of_order)

        cur.execute(
            """
            SELECT coalesce(sum(n - 1), 0) FROM (
              SELECT count(DISTINCT order_id) n FROM order_lines WHERE sku LIKE %(prefix)s GROUP BY sku) s
            WHERE n > 1
            """,
            prefix,
        )
        result.add("doubled", "orders placed twice", int(one(cur)[0]))
        cur.execute(
            f"""
            WITH scoped AS ({SCOPED_ORDERS})
            SELECT coalesce(sum(n - 1), 0) FROM (
              SELECT count(*) n FROM invoices i JOIN scoped s ON i.order_id = s.id GROUP BY i.order_id) c WHERE n > 1
            """,
            prefix,
        )
        result.add("doubled", "second invoices", int(one(cur)[0]))
        issued: dict[object, int] = defaultdict(int)
        for _, aggregate_id, _, event_type, _ in events:
            if event_type == "billing.invoice_issued":
                issued[aggregate_id] += 1
        result.add("doubled", "invoices issued twice", sum(n - 1 for n in issued.values() if n > 1))
        cur.execute(
            """
            SELECT coalesce(sum(n - 1), 0) FROM (
              SELECT count(*) n FROM audit_auditentry WHERE outcome = 'ok' AND target_id = ANY(%s)
              GROUP BY action, target_id) c
            WHERE n > 1
            """,
            ([str(a) for a in aggregates],),
        )
        result.add("doubled", "audit entries twice", int(one(cur)[0]))
    return result


def outbox_totals(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        rows = conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
    return dict(rows)


def dead_letters(dsn: str) -> dict[str, int]:
    """Delivery failures by status, malformed ones (no event type) apart."""
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        rows = conn.execute(
            "SELECT status, event_type = '' AS malformed, count(*) FROM delivery_failures GROUP BY 1, 2"
        ).fetchall()
    return {f"{'malformed ' if malformed else ''}{status}": count for status, malformed, count in rows}
