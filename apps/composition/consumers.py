"""The composition root of the event side: every context's projections and policies, in one table,
and which aggregates' events travel in another aggregate's stream (the routing slot)."""

from __future__ import annotations

from apps.billing import wiring as billing
from apps.composition import webhook_catalogue
from apps.orders import wiring as orders
from apps.users import wiring as users
from apps.webhooks import fanout as webhooks_fanout

PROJECTIONS = (*users.PROJECTIONS, *orders.PROJECTIONS, *billing.PROJECTIONS)
#: Consumers that are no projection: the contexts' policies, and the fan-out of webhooks.
POLICIES = (*orders.POLICIES, *billing.POLICIES, webhooks_fanout.consumer(webhook_catalogue.offered()))
GROUPED_WITH = {**billing.GROUPED_WITH}
