"""The orderflow code and commands the benchmark relies on: every import of ``apps.*`` (outside the
baselines) and every ``manage.py`` line is here, so that when one moves, it changes here alone.

Each function imports on call, once Django is set up (``environment.setup_django``).
"""

from __future__ import annotations

import importlib
from typing import Any

ORDER = "apps.orders.models:Order"
ORDER_READ = "apps.orders.models:OrderReadModel"
INVOICE_READ = "apps.billing.models:InvoiceReadModel"
USER = "apps.users.models:User"
#: The token class orderflow's sign-in endpoint (POST /api/v1/auth/token) issues its pair with.
REFRESH_TOKEN = "apps.security.tokens:RefreshToken"


def load(path: str) -> Any:
    module, _, name = path.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, name) if name else loaded


def access_token(user_id: Any) -> str:
    """An access token for the user, exactly as the sign-in endpoint issues it (RS256, the key's ``kid``)."""
    user = load(USER).objects.get(pk=user_id)
    return str(load(REFRESH_TOKEN).for_user(user).access_token)


def seed_commands(orders: int, customers: int, *, bulk: bool, seed: int = 1) -> list[list[str]]:
    """The ``manage.py`` lines that add ``orders`` orders over ``customers`` customers.

    ``seed_demo`` first: it creates the staff account the slow path ships and refunds with, and the first
    customer. Adapt the ``--bulk`` line here when the bulk path's flags settle.
    """
    seed_line = ["seed_db", "--orders", str(orders), "--customers", str(customers), "--seed", str(seed)]
    if bulk:
        seed_line.append("--bulk")
    return [["seed_demo"], [*seed_line, "-v", "0"]]


def pending_orders(customer_id: str, customer_email: str, count: int) -> list[tuple[str, str, int, str]]:
    """``count`` new orders of the customer's, awaiting payment with an open invoice each, written in bulk
    as ``seed_db --bulk`` writes its own (the rows, their processed events, the read rows; one transaction):
    (order id, invoice id, invoice amount in the provider's minor units, currency) of each."""
    import random
    import uuid

    from django.db import transaction
    from django.utils import timezone

    bulk_seed = load("apps.composition.bulk_seed")
    invoice_row = load("apps.billing.models:Invoice")
    stripe_amount = load("apps.billing.provider:stripe_amount")
    money = load("domain.kernel.money:Money")

    customer = bulk_seed.Customer(uuid.UUID(customer_id), customer_email)
    history = bulk_seed.History(random.Random(), now=timezone.now())
    rows = bulk_seed.Rows()
    for number in range(count):
        history.order(number, count, customer, "pending_payment", uuid.uuid4(), rows)
    with transaction.atomic():
        bulk_seed.writer().write(rows)
    return [
        (str(row.order_id), str(row.id), stripe_amount(money(row.amount, row.currency)), row.currency)
        for row in rows.of(invoice_row)
    ]
