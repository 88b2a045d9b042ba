"""Fill the database with demo orders in every state of their lifecycle, through the command bus or in bulk.

By default nothing is written behind the domain's back: customers register, place
orders, pay or fail to pay their invoices and cancel; staff ship and refund. Between
the phases the events are delivered in this process (``deliver_pending``), so the
policies issue the invoices and mark the orders paid exactly as in production. That
takes a few milliseconds per order.

``--bulk`` is for volume (a million orders in minutes): the aggregates are still made
and moved by the domain, but their rows are written in batches (``COPY`` on
PostgreSQL) instead of through the buses, with the orders placed over the past year.
What it writes, and what it does not, is ``apps.composition.bulk_seed``; in short:

* the same rows the command bus and the projections would leave: ``orders`` and
  ``order_lines``, ``invoices`` and ``payments``, ``users``, and the read rows
  ``orders_read``, ``invoices_read``, ``users_read`` at the versions a live projection
  reaches, so later commands (pay, cancel, ship, refund) apply to them as to any other;
* every event, in the outbox, marked processed: it is the event history, so
  ``rebuild_read_models`` rebuilds the same read rows and loses no bulk-loaded order.
  Nothing is published: no consumer needs these events, the read rows are written.
* no audit entries (nobody sent a command) and no inbox rows (nothing was delivered).

Each batch (``--batch-size`` orders with all their rows) is one transaction: a load
stopped half-way keeps the batches it committed, each complete.
"""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.utils import timezone

from apps.billing.models import InvoiceReadModel
from apps.composition import bulk_seed
from apps.composition.delivery import deliver_pending
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderReadModel
from apps.platform import caching
from apps.platform.buses import command_bus
from apps.platform.commands import OrderflowCommand, one_line, progress_bar
from apps.platform.listing import PAGES
from apps.users.models import User as UserRow
from apps.users.passwords import DjangoArgon2PasswordHasher
from domain.billing.commands import CapturePayment, RecordPaymentFailure, RefundInvoice
from domain.kernel.messages import Command as BusCommand
from domain.kernel.result import Err
from domain.orders.commands import CancelOrder, OrderItem, PlaceOrder, ShipOrder
from domain.users.commands import RegisterUser
from domain.users.errors import EmailAlreadyRegisteredError

CUSTOMER_PASSWORD = "customer-demo-Passw0rd"
CUSTOMER_DOMAIN = "orderflow.test"
CATALOGUE = bulk_seed.CATALOGUE
CURRENCIES = bulk_seed.CURRENCIES
OUTCOMES = bulk_seed.OUTCOMES
DEFAULT_BATCH_SIZE = 5_000
#: Making the rows costs more than writing them: two processes keep PostgreSQL busy on a small machine.
DEFAULT_JOBS = min(2, os.cpu_count() or 1)


@dataclass
class Placed:
    order_id: UUID
    customer_id: UUID
    amount: Decimal
    currency: str
    outcome: str
    invoice_id: UUID | None = None


class Command(OrderflowCommand):
    help = (
        "Create demo orders through the command bus: customers place them, pay (or fail to pay) their invoices "
        "and cancel; staff ship and refund. Events are delivered in this process between the phases. "
        "With --bulk, the domain makes the same orders but their rows are written in batches (COPY on "
        "PostgreSQL), placed over the past year, with their events in the outbox as already processed "
        "(so rebuild_read_models keeps them) and nothing published."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=50, help="How many orders to create (default 50).")
        parser.add_argument(
            "--customers",
            type=int,
            default=10,
            help="Spread them over this many customers: customer@orderflow.test, then customer01@... (default 10).",
        )
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for the same data every time.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when orders exist already.")
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="Write the rows in batches instead of dispatching commands: for large volumes. Orders are "
            "placed over the past year; their events go to the outbox as already processed (the history "
            "rebuild_read_models replays), nothing is published, no audit entry is written.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="With --bulk on PostgreSQL: processes making the batches while this one writes them "
            f"(default {DEFAULT_JOBS}).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help=f"With --bulk: orders per transaction (default {DEFAULT_BATCH_SIZE:,}).",
        )

    def handle(
        self,
        *args: Any,
        orders: int,
        customers: int,
        seed: int | None,
        if_empty: bool,
        bulk: bool,
        batch_size: int | None,
        jobs: int | None,
        **options: Any,
    ) -> None:
        if orders < 1 or customers < 1:
            raise CommandError("--orders and --customers must be at least 1")
        for name, value in (("--batch-size", batch_size), ("--jobs", jobs)):
            if value is not None and not bulk:
                raise CommandError(f"{name} applies to --bulk only")
            if value is not None and value < 1:
                raise CommandError(f"{name} must be at least 1")
        if if_empty and OrderRow.objects.exists():
            self.stdout.write("orders exist already; nothing seeded")
            return
        staff = UserRow.objects.filter(is_staff=True, is_active=True).order_by("created_at").first()
        if staff is None:
            raise CommandError("no staff account to ship and refund with; run `manage.py seed_demo` first")
        quiet = options["verbosity"] == 0
        if bulk:
            size, workers = batch_size or DEFAULT_BATCH_SIZE, jobs or DEFAULT_JOBS
            self._bulk(orders, customers, seed, size, workers, staff.id, quiet)
            return
        rng = random.Random(seed)

        people = self._customers(customers)
        placed = self._place(orders, people, rng, quiet)
        self._deliver("invoices issued", quiet)
        invoices = dict(
            InvoiceReadModel.objects.filter(order_id__in=[p.order_id for p in placed]).values_list("order_id", "id")
        )
        for order in placed:
            order.invoice_id = invoices.get(order.order_id)
        missing = [str(order.order_id) for order in placed if order.invoice_id is None]
        if missing:
            raise CommandError(f"{len(missing)} order(s) got no invoice, e.g. {missing[0]}; see the consumer logs")
        self._run("paying and cancelling", [self._customer_step(order) for order in placed], quiet)
        self._deliver("orders paid", quiet)
        self._run("shipping and refunding", [self._staff_step(order, staff.id) for order in placed], quiet)
        self._deliver("read models updated", quiet)

        by_status = dict(
            OrderReadModel.objects.filter(pk__in=[p.order_id for p in placed])
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        summary = ", ".join(f"{status} {count}" for status, count in sorted(by_status.items()))
        self.stdout.write(f"seeded {len(placed)} order(s) for {len(people)} customer(s): {summary}")

    def _bulk(
        self, count: int, customers: int, seed: int | None, batch_size: int, jobs: int, staff_id: UUID, quiet: bool
    ) -> None:
        now = timezone.now()
        people = self._bulk_customers(customers, bulk_seed.History(random.Random(seed), now=now), batch_size, quiet)
        plan = bulk_seed.Plan(count=count, customers=tuple(people), staff_id=staff_id, now=now, seed=seed)
        done = 0
        with progress_bar(self.stdout, total=count, description="loading orders", unit="order", quiet=quiet) as bar:

            def loaded(n: int) -> None:
                nonlocal done
                done += n
                bar.update(n)

            try:
                statuses = bulk_seed.load_orders(plan, batch_size=batch_size, jobs=jobs, loaded=loaded)
            except DatabaseError as exc:
                raise CommandError(
                    f"bulk load stopped after {done} of {count} order(s) (those are committed): {one_line(exc)}"
                ) from exc
        # The rows are new, so no cached row is stale; the pages of existing customers' lists are.
        caching.invalidate_all(PAGES)
        summary = ", ".join(f"{status} {n}" for status, n in sorted(statuses.items()))
        self.stdout.write(f"seeded {count} order(s) for {len(people)} customer(s) in bulk: {summary}")

    def _bulk_customers(
        self, count: int, history: bulk_seed.History, batch_size: int, quiet: bool
    ) -> list[bulk_seed.Customer]:
        """The customers of ``_customers``; those not registered yet are loaded in bulk, with one password hash."""
        emails = self._emails(count)
        wanted = set(emails)
        # One query whatever the count, where a list of a million e-mails would not fit in one.
        registered = UserRow.objects.filter(email__endswith=f"@{CUSTOMER_DOMAIN}").values_list("email", "id")
        known = {email: user_id for email, user_id in registered.iterator() if email in wanted}
        missing = [email for email in emails if email not in known]
        if missing:
            password_hash = DjangoArgon2PasswordHasher().hash(CUSTOMER_PASSWORD)
            out = bulk_seed.writer()
            with progress_bar(
                self.stdout, total=len(missing), description="registering customers", unit="customer", quiet=quiet
            ) as bar:
                for numbers in bulk_seed.batches(len(missing), batch_size):
                    rows = bulk_seed.Rows()
                    chunk = [missing[n] for n in numbers]
                    for customer in history.register(
                        chunk, password_hash, rows, first=numbers.start, total=len(missing)
                    ):
                        known[customer.email] = customer.id
                    try:
                        with transaction.atomic():
                            out.write(rows)
                    except DatabaseError as exc:
                        raise CommandError(f"cannot register the customers: {one_line(exc)}") from exc
                    bar.update(len(numbers))
        return [bulk_seed.Customer(known[email], email) for email in emails]

    @staticmethod
    def _emails(count: int) -> list[str]:
        return [f"customer@{CUSTOMER_DOMAIN}", *(f"customer{n:02d}@{CUSTOMER_DOMAIN}" for n in range(1, count))]

    def _customers(self, count: int) -> list[tuple[UUID, str]]:
        emails = self._emails(count)
        for email in emails:
            name = email.split("@")[0].capitalize()
            result = command_bus().dispatch(RegisterUser(email=email, password=CUSTOMER_PASSWORD, display_name=name))
            if isinstance(result, Err) and not isinstance(result.error, EmailAlreadyRegisteredError):
                raise CommandError(f"cannot register {email}: {result.error}")
        rows = dict(UserRow.objects.filter(email__in=emails).values_list("email", "id"))
        return [(rows[email], email) for email in emails]

    def _place(self, count: int, people: list[tuple[UUID, str]], rng: random.Random, quiet: bool) -> list[Placed]:
        placed: list[Placed] = []
        with progress_bar(self.stdout, total=count, description="placing orders", unit="order", quiet=quiet) as bar:
            for number in range(count):
                customer_id, email = people[number % len(people)]
                currency = rng.choice(CURRENCIES)
                items = tuple(
                    OrderItem(sku=sku, quantity=rng.randint(1, 3), unit_price=Decimal(price))
                    for sku, price in rng.sample(CATALOGUE, rng.randint(1, 4))
                )
                command = PlaceOrder(customer_id=customer_id, customer_email=email, currency=currency, items=items)
                order = self._dispatch(command)
                placed.append(
                    Placed(
                        order_id=order.id,
                        customer_id=customer_id,
                        amount=order.total.amount,
                        currency=order.total.currency,
                        outcome=OUTCOMES[number % len(OUTCOMES)],
                    )
                )
                bar.update()
        return placed

    def _customer_step(self, order: Placed) -> BusCommand | None:
        assert order.invoice_id is not None
        payment_id = f"pi_seed_{uuid.uuid4().hex[:24]}"
        match order.outcome:
            case "paid" | "shipped" | "refunded":
                return CapturePayment(
                    invoice_id=order.invoice_id,
                    provider_payment_id=payment_id,
                    amount=order.amount,
                    currency=order.currency,
                )
            case "payment_failed":
                return RecordPaymentFailure(
                    invoice_id=order.invoice_id,
                    provider_payment_id=payment_id,
                    amount=order.amount,
                    currency=order.currency,
                    reason="Your card was declined.",
                )
            case "cancelled":
                return CancelOrder(
                    order_id=order.order_id,
                    requested_by=order.customer_id,
                    reason="Ordered by mistake.",
                )
        return None

    def _staff_step(self, order: Placed, staff_id: UUID) -> BusCommand | None:
        assert order.invoice_id is not None
        match order.outcome:
            case "shipped":
                return ShipOrder(order_id=order.order_id, shipped_by=staff_id)
            case "refunded":
                return RefundInvoice(invoice_id=order.invoice_id, requested_by=staff_id, reason="Damaged in transit.")
        return None

    def _run(self, description: str, commands: list[BusCommand | None], quiet: bool) -> None:
        todo = [command for command in commands if command is not None]
        with progress_bar(self.stdout, total=len(todo), description=description, unit="cmd", quiet=quiet) as bar:
            for command in todo:
                self._dispatch(command)
                bar.update()

    def _deliver(self, what: str, quiet: bool) -> None:
        handled = deliver_pending()
        if not quiet:
            self.stdout.write(f"delivered {handled} event(s): {what}")

    def _dispatch(self, command: BusCommand) -> Any:
        result = command_bus().dispatch(command)
        if isinstance(result, Err):
            raise CommandError(f"{type(command).__name__} failed: {result.error}")
        return result.value
