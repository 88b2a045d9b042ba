"""Demo orders loaded in bulk: the rows the command bus and the event flow would leave, written in batches.

Each order is still made by the domain, with the clock set somewhere in the past
year: ``Order.place`` and ``Invoice.issue``, then the steps of its outcome in the
order the live system takes them (capture and ``mark_paid``; ``ship``; ``refund`` and
``mark_refunded``; ``cancel`` and ``void``; ``record_failure``). What the aggregates
end as and what they record become

* the write rows, through the contexts' mappers (``orders``, ``order_lines``,
  ``invoices``, ``payments``; ``users`` for the customers registered on the way);
* the outbox rows of their events, already ``processed``: the event history,
  which ``rebuild_read_models`` replays;
* the read rows (``orders_read``, ``invoices_read``, ``users_read``), folded from those
  same events by the projections' ``rows_of``, so their ``version`` and
  ``invoice_version`` are the ones a live projection reaches.

Nothing is published to the broker and no consumer's inbox gets a row: no event
is delivered (a rebuild writes the inbox rows it needs). The audit trail gets no
entry either: nobody sent a command.

On PostgreSQL the rows go in with ``COPY``; elsewhere (SQLite) with multi-row
``INSERT``. One batch of orders (every row of those orders, in every table) is one
transaction; the tables keep their indexes and constraints.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import random
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID

from django.db import connection, connections, models, transaction

from apps.billing import mapper as billing_mapper
from apps.billing import projections as billing_projections
from apps.billing.models import Invoice as InvoiceRow
from apps.billing.models import InvoiceReadModel
from apps.billing.models import Payment as PaymentRow
from apps.orders import mapper as orders_mapper
from apps.orders import projections as orders_projections
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderLine as OrderLineRow
from apps.orders.models import OrderReadModel
from apps.outbox.dispatcher import envelope
from apps.outbox.models import OutboxEntry
from apps.users import mapper as users_mapper
from apps.users import projections as users_projections
from apps.users.models import User as UserRow
from apps.users.models import UserReadModel
from domain.billing.model import Invoice
from domain.kernel.aggregate import AggregateRoot
from domain.kernel.events import to_integration_event
from domain.kernel.money import Money
from domain.kernel.result import Err, Result
from domain.orders.model import Order, OrderLine, Quantity, Sku
from domain.users.model import Email, PasswordHash, User, UserProfile

#: Orders are placed over this period, ending ``SETTLE`` ago so that every later step is in the past too.
SPREAD = timedelta(days=365)
SETTLE = timedelta(days=5)

CANCEL_REASON = "Ordered by mistake."
DECLINED = "Your card was declined."
REFUND_REASON = "Damaged in transit."


@dataclass(frozen=True)
class Customer:
    id: UUID
    email: str


@dataclass(slots=True)
class OutboxRow:
    """An ``outbox`` row to write: the columns of ``OutboxEntry`` (by attribute name) without a model instance,
    which costs more to make than the rest of the row; ``envelope()`` reads it like an entry."""

    id: UUID
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    event_type: str
    event_version: int
    payload: dict[str, Any]
    occurred_at: datetime
    created_at: datetime
    processed_at: datetime | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    correlation_id: str
    causation_id: str
    traceparent: str


@dataclass
class Rows:
    """Every row of one batch, by the model of its table: model instances, or objects with the same attributes."""

    by_model: dict[type[models.Model], list[Any]] = field(default_factory=dict)

    def add(self, rows: Iterable[models.Model]) -> None:
        for row in rows:
            self.by_model.setdefault(type(row), []).append(row)

    def add_row(self, model: type[models.Model], row: Any) -> None:
        """A row of ``model``'s table as any object with the attributes of its fields."""
        self.by_model.setdefault(model, []).append(row)

    def add_outbox(self, rows: Iterable[OutboxRow]) -> None:
        self.by_model.setdefault(OutboxEntry, []).extend(rows)

    def of(self, model: type[models.Model]) -> list[Any]:
        return self.by_model.get(model, [])


#: The order in which a batch's tables are written: a foreign key's target first.
WRITE_ORDER: tuple[type[models.Model], ...] = (
    UserRow,
    UserReadModel,
    OrderRow,
    OrderLineRow,
    InvoiceRow,
    PaymentRow,
    OrderReadModel,
    InvoiceReadModel,
    OutboxEntry,
)


class History:
    """Makes aggregates through the domain and turns what they record into rows; deterministic for one ``rng``."""

    def __init__(self, rng: random.Random, *, now: datetime, processed_at: datetime | None = None) -> None:
        self.rng = rng
        self.now = now
        self.processed_at = processed_at or now
        self._skus: dict[str, Sku] = {}
        self._quantities: dict[int, Quantity] = {}
        self._prices: dict[tuple[str, str], Money] = {}

    @staticmethod
    def new_id() -> UUID:
        """A random id, as the production id factory makes them: the seed decides the data, not the ids,
        so that loading twice with one seed adds a second set of orders instead of clashing with the first."""
        return uuid.uuid4()

    # Customers

    def register(
        self, customer_emails: Sequence[str], password_hash: PasswordHash, rows: Rows, *, first: int = 0, total: int = 0
    ) -> list[Customer]:
        """Register the customers of ``customer_emails`` (User.register), numbers ``first`` on of ``total``, one
        after the other in the day before the first order, with one password hash for them all (one hash costs
        what a thousand orders do); their rows, events and read rows go to ``rows``."""
        start = self.now - SETTLE - SPREAD - timedelta(days=1)
        step = timedelta(days=1) / max(total, len(customer_emails), 1)
        customers = []
        for number, email in enumerate(customer_emails, start=first):
            user = User.register(
                id=self.new_id(),
                email=Email(email),
                password_hash=password_hash,
                profile=UserProfile(email.split("@")[0].capitalize()),
                now=start + step * number,
            )
            rows.add([users_mapper.to_row(user)])
            self._events([user], rows, users_projections.rows_of)
            customers.append(Customer(user.id, user.email.value))
        return customers

    # Orders

    def order(self, number: int, count: int, customer: Customer, outcome: str, staff_id: UUID, rows: Rows) -> None:
        """Order ``number`` of ``count``: placed at its share of the period, then taken to ``outcome``."""
        rng = self.rng
        start = self.now - SETTLE - SPREAD
        placed_at = start + SPREAD * ((number + rng.random()) / count)
        currency = rng.choice(CURRENCIES)
        lines = [
            OrderLine(
                sku=self._sku(sku), quantity=self._quantity(rng.randint(1, 3)), unit_price=self._price(sku, currency)
            )
            for sku in rng.sample(SKUS, rng.randint(1, 4))
        ]
        order = Order.place(
            id=self.new_id(),
            customer_id=customer.id,
            customer_email=customer.email,
            currency=currency,
            lines=lines,
            now=placed_at,
        )
        at = placed_at + _seconds(rng, 1, 3)
        invoice = Invoice.issue(
            id=self.new_id(), order_id=order.id, customer_id=customer.id, amount=order.total, now=at
        )
        # Each step's events are taken right after it, so the history is in the order the live system writes it.
        history = [*order.pull_events(), *invoice.pull_events()]
        match outcome:
            case "paid" | "shipped" | "refunded":
                at += _seconds(rng, 60, 7200)
                invoice.capture(
                    payment_id=self.new_id(),
                    provider_payment_id=self._provider_id("pi_seed_"),
                    amount=invoice.amount,
                    now=at,
                )
                history += invoice.pull_events()
                at += _seconds(rng, 1, 3)
                _ok(order.mark_paid(invoice_id=invoice.id, now=at))
                history += order.pull_events()
                if outcome == "shipped":
                    at += _seconds(rng, 4 * 3600, 3 * 86400)
                    _ok(order.ship(by=staff_id, now=at))
                    history += order.pull_events()
                elif outcome == "refunded":
                    at += _seconds(rng, 86400, 3 * 86400)
                    _ok(
                        invoice.refund(
                            provider_refund_id=self._provider_id("re_seed_"),
                            amount=invoice.amount,
                            now=at,
                            reason=REFUND_REASON,
                        )
                    )
                    history += invoice.pull_events()
                    at += _seconds(rng, 1, 3)
                    _ok(order.mark_refunded(invoice_id=invoice.id, now=at))
                    history += order.pull_events()
            case "cancelled":
                at += _seconds(rng, 60, 86400)
                _ok(order.cancel(reason=CANCEL_REASON, by=customer.id, now=at))
                history += order.pull_events()
                at += _seconds(rng, 1, 3)
                _ok(invoice.void(reason=CANCEL_REASON, now=at))
                history += invoice.pull_events()
            case "payment_failed":
                at += _seconds(rng, 60, 7200)
                invoice.record_failure(
                    payment_id=self.new_id(),
                    provider_payment_id=self._provider_id("pi_seed_"),
                    amount=invoice.amount,
                    reason=DECLINED,
                    now=at,
                )
                history += invoice.pull_events()
            case "pending_payment":
                pass
            case _:
                raise ValueError(f"unknown outcome {outcome!r}")
        # The columns ``mapper.to_row`` would hold, without the cost of a model instance (order lines and
        # payments are few and made by the mappers as they are).
        rows.add_row(OrderRow, SimpleNamespace(id=order.id, **orders_mapper.to_row_fields(order)))
        rows.add(orders_mapper.to_line_rows(order))
        rows.add_row(InvoiceRow, SimpleNamespace(id=invoice.id, **billing_mapper.to_row_fields(invoice)))
        rows.add(billing_mapper.payment_rows(invoice))
        entries = [self._outbox_entry(event) for event in history]
        rows.add_outbox(entries)
        envelopes = [envelope(cast(OutboxEntry, entry)) for entry in entries]
        rows.add(orders_projections.rows_of(envelopes))
        rows.add(billing_projections.rows_of([e for e in envelopes if e["event_type"].startswith("billing.")]))

    # Events

    def _events(
        self, aggregates: Sequence[AggregateRoot[UUID]], rows: Rows, fold: Callable[[list[Any]], Sequence[models.Model]]
    ) -> None:
        entries = [self._outbox_entry(event) for aggregate in aggregates for event in aggregate.pull_events()]
        rows.add_outbox(entries)
        rows.add(fold([envelope(cast(OutboxEntry, entry)) for entry in entries]))

    def _outbox_entry(self, event: Any) -> OutboxRow:
        """The outbox row of a recorded event, as the unit of work writes it (``apps.outbox.store``), processed."""
        integration = to_integration_event(event)
        return OutboxRow(
            id=integration.event_id,
            aggregate_type=integration.aggregate_type,
            aggregate_id=integration.aggregate_id,
            aggregate_version=integration.aggregate_version,
            event_type=integration.event_type,
            event_version=integration.event_version,
            payload=dict(integration.payload),
            occurred_at=integration.occurred_at,
            # When it was written, as the live system would have: rebuilds replay in this order.
            created_at=integration.occurred_at,
            processed_at=self.processed_at,
            status=OutboxEntry.Status.PROCESSED,
            attempts=0,
            next_attempt_at=None,
            last_error="",
            correlation_id="",
            causation_id="",
            traceparent="",
        )

    @staticmethod
    def _provider_id(prefix: str) -> str:
        return f"{prefix}{uuid.uuid4().hex[:24]}"

    def _sku(self, code: str) -> Sku:
        if code not in self._skus:
            self._skus[code] = Sku(code)
        return self._skus[code]

    def _quantity(self, value: int) -> Quantity:
        if value not in self._quantities:
            self._quantities[value] = Quantity(value)
        return self._quantities[value]

    def _price(self, sku: str, currency: str) -> Money:
        key = (sku, currency)
        if key not in self._prices:
            self._prices[key] = Money(PRICES[sku], currency)
        return self._prices[key]


#: (SKU, unit price in the order's currency): the catalogue of ``seed_db``.
CATALOGUE = (
    ("BOOK-DDD", "39.90"),
    ("BOOK-POEAA", "54.00"),
    ("MUG-ORDERFLOW", "12.50"),
    ("TSHIRT-M", "19.00"),
    ("STICKERS-10", "4.20"),
    ("HOODIE-L", "49.00"),
    ("CABLE-USB-C", "9.99"),
    ("KEYBOARD-TKL", "129.00"),
)
SKUS = tuple(sku for sku, _ in CATALOGUE)
PRICES = {sku: Decimal(price) for sku, price in CATALOGUE}
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP")
#: Where each order ends, in turn: N >= 6 orders cover every state.
OUTCOMES = ("pending_payment", "paid", "shipped", "cancelled", "refunded", "payment_failed")


def _seconds(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=rng.uniform(low, high))


def _ok(result: Result[Any, Any]) -> None:
    if isinstance(result, Err):
        raise ValueError(f"the domain refused a seeded step: {result.error}")


# Writing


def columns_of(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields whose columns are written: every concrete one but a serial key (the database numbers those)."""
    return [f for f in model._meta.concrete_fields if not isinstance(f, models.fields.AutoFieldMixin)]


#: What COPY's text format escapes in a value.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in COPY's text format (JSON columns are dumped before); the commonest types first."""
    kind = type(value)
    if kind is str:
        return str.translate(value, _ESCAPES)
    if kind is UUID:
        return str(value.hex)  # PostgreSQL reads a uuid without its hyphens too, and this is cheaper to make
    if kind is datetime:
        return str(value.isoformat())
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    return str(value)  # int, Decimal: their str is what PostgreSQL reads


def encode(rows: Rows) -> list[tuple[type[models.Model], str]]:
    """The rows of a batch as COPY text, table by table in ``WRITE_ORDER``: made where they are generated
    (a worker process), so that the writer only streams them."""
    encoded = []
    dumps = json.dumps
    for model in WRITE_ORDER:
        batch = rows.of(model)
        if not batch:
            continue
        fields = columns_of(model)
        values = attrgetter(*(f.attname for f in fields))
        json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        lines = []
        for row in batch:
            columns = list(values(row))
            for position in json_positions:
                columns[position] = dumps(columns[position])
            lines.append("\t".join([_copy_text(value) for value in columns]))
        encoded.append((model, "\n".join(lines) + "\n"))
    return encoded


class Writer:
    """Writes a batch's rows, table by table, in the caller's transaction."""

    def write(self, rows: Rows) -> None:
        for model in WRITE_ORDER:
            batch = rows.of(model)
            if batch:
                self.write_table(model, batch)

    def write_table(self, model: type[models.Model], rows: Sequence[Any]) -> None:
        raise NotImplementedError


class CopyWriter(Writer):
    """PostgreSQL: ``COPY ... FROM STDIN`` of every written column, one per table and batch."""

    def write(self, rows: Rows) -> None:
        self.write_encoded(encode(rows))

    def write_encoded(self, encoded: Sequence[tuple[type[models.Model], str]]) -> None:
        quote = connection.ops.quote_name
        # The driver's own cursor, for its COPY; its errors still reach the caller as Django's.
        with connection.wrap_database_errors, connection.cursor() as cursor:
            for model, data in encoded:
                columns = ", ".join(quote(f.column) for f in columns_of(model))
                with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                    copy.write(data)


class InsertWriter(Writer):
    """Any other database: multi-row ``INSERT`` of every written column, each value prepared by its field.

    Not ``bulk_create``: it would stamp the outbox rows' ``created_at`` (``auto_now_add``) with the load time.
    """

    ROWS_PER_STATEMENT = 50

    def write_table(self, model: type[models.Model], rows: Sequence[Any]) -> None:
        fields = columns_of(model)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        with connection.cursor() as cursor:
            for start in range(0, len(rows), self.ROWS_PER_STATEMENT):
                chunk = rows[start : start + self.ROWS_PER_STATEMENT]
                params = [f.get_db_prep_save(getattr(row, f.attname), connection) for row in chunk for f in fields]
                values = ", ".join([one] * len(chunk))
                cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {values}", params)


def writer() -> Writer:
    return CopyWriter() if connection.vendor == "postgresql" else InsertWriter()


# Loading


@dataclass(frozen=True)
class Plan:
    """What every batch of a load shares."""

    count: int
    customers: tuple[Customer, ...]
    staff_id: UUID
    now: datetime
    seed: int | None

    def batch(self, numbers: range) -> Rows:
        """The rows of orders ``numbers``. With a seed each order draws from its own generator, so that one
        seed gives the same orders whatever the batch size or the number of processes."""
        history = History(random.Random(), now=self.now)
        rows = Rows()
        for number in numbers:
            if self.seed is not None:
                history.rng = random.Random(f"{self.seed}:{number}")
            customer = self.customers[number % len(self.customers)]
            history.order(number, self.count, customer, OUTCOMES[number % len(OUTCOMES)], self.staff_id, rows)
        return rows


def batches(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


_plan: Plan | None = None


def _start_worker(plan: Plan) -> None:
    global _plan
    _plan = plan


def _encoded_batch(numbers: range) -> tuple[list[tuple[type[models.Model], str]], Counter[str]]:
    assert _plan is not None
    rows = _plan.batch(numbers)
    return encode(rows), Counter(row.status for row in rows.of(OrderReadModel))


def load_orders(plan: Plan, *, batch_size: int, jobs: int, loaded: Callable[[int], None]) -> Counter[str]:
    """Write ``plan``'s orders, one transaction per batch; ``loaded(n)`` after each. The statuses loaded, counted.

    With ``jobs`` > 1 on PostgreSQL, that many processes make and encode the batches while this one
    writes them, in order. Elsewhere, or inside a transaction (whose connection the forked processes
    must not inherit, and which cannot be closed before forking), the batches are made here.
    """
    statuses: Counter[str] = Counter()
    out = writer()
    if jobs <= 1 or not isinstance(out, CopyWriter) or connection.in_atomic_block:
        for numbers in batches(plan.count, batch_size):
            rows = plan.batch(numbers)
            with transaction.atomic():
                out.write(rows)
            statuses.update(row.status for row in rows.of(OrderReadModel))
            loaded(len(numbers))
        return statuses
    connections.close_all()  # the workers are forked: they must not share this process's connection
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(plan,)) as pool:
        waiting: deque[tuple[range, Future[Any]]] = deque()
        todo = batches(plan.count, batch_size)
        for numbers in itertools.islice(todo, 2 * jobs):
            waiting.append((numbers, pool.submit(_encoded_batch, numbers)))
        while waiting:
            numbers, future = waiting.popleft()
            encoded, counted = future.result()
            with transaction.atomic():
                out.write_encoded(encoded)
            statuses.update(counted)
            loaded(len(numbers))
            for more in itertools.islice(todo, 1):
                waiting.append((more, pool.submit(_encoded_batch, more)))
    return statuses
