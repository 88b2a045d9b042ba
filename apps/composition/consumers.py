"""The composition root of the event side: every context's projections and policies, in one table."""

from __future__ import annotations

from apps.billing import wiring as billing
from apps.orders import wiring as orders
from apps.users import wiring as users

PROJECTIONS = (*users.PROJECTIONS, *orders.PROJECTIONS, *billing.PROJECTIONS)
POLICIES = (*orders.POLICIES, *billing.POLICIES)
