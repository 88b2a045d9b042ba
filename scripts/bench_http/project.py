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
