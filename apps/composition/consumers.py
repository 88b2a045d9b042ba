"""The composition root of the event side: every context's projections and policies, in one table,
and which aggregates' events travel in another aggregate's stream (the routing slot)."""

from __future__ import annotations

from apps.billing import wiring as billing
from apps.orders import wiring as orders
from apps.users import wiring as users

PROJECTIONS = (*users.PROJECTIONS, *orders.PROJECTIONS, *billing.PROJECTIONS)
POLICIES = (*orders.POLICIES, *billing.POLICIES)
GROUPED_WITH = {**billing.GROUPED_WITH}
