"""Fill the database with demo orders in every state of their lifecycle, through the command bus.

Nothing is written behind the domain's back: customers register, place orders,
pay or fail to pay their invoices and cancel; staff ship and refund. Between the
phases the events are delivered in this process (``deliver_pending``), so the
policies issue the invoices and mark the orders paid exactly as in production.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.management.base import CommandError, CommandParser
from django.db.models import Count

from apps.billing.models import InvoiceReadModel
from apps.composition.delivery import deliver_pending
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderReadModel
from apps.platform.buses import command_bus
from apps.platform.commands import OrderflowCommand, progress_bar
from apps.users.models import User as UserRow
from domain.billing.commands import CapturePayment, RecordPaymentFailure, RefundInvoice
from domain.kernel.messages import Command as BusCommand
from domain.kernel.result import Err
from domain.orders.commands import CancelOrder, OrderItem, PlaceOrder, ShipOrder
from domain.users.commands import RegisterUser
from domain.users.errors import EmailAlreadyRegisteredError

CUSTOMER_PASSWORD = "customer-demo-Passw0rd"
#: (SKU, unit price in the order's currency)
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
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP")
#: Where each order ends, in turn: N >= 6 orders cover every state.
OUTCOMES = ("pending_payment", "paid", "shipped", "cancelled", "refunded", "payment_failed")


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
        "and cancel; staff ship and refund. Events are delivered in this process between the phases."
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

    def handle(self, *args: Any, orders: int, customers: int, seed: int | None, if_empty: bool, **options: Any) -> None:
        if orders < 1 or customers < 1:
            raise CommandError("--orders and --customers must be at least 1")
        if if_empty and OrderRow.objects.exists():
            self.stdout.write("orders exist already; nothing seeded")
            return
        staff = UserRow.objects.filter(is_staff=True, is_active=True).order_by("created_at").first()
        if staff is None:
            raise CommandError("no staff account to ship and refund with; run `manage.py seed_demo` first")
        quiet = options["verbosity"] == 0
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

    def _customers(self, count: int) -> list[tuple[UUID, str]]:
        emails = ["customer@orderflow.test", *(f"customer{n:02d}@orderflow.test" for n in range(1, count))]
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
