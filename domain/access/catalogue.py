"""orderflow's roles and what each may do.

Permission names are Django's ``app_label.codename``, so a role maps onto a Django
group holding those permissions (``manage.py sync_roles``) and the admin manages
who has which role. A group gets the role's resolved set: Django groups do not
inherit, the role graph does.
"""

from __future__ import annotations

from domain.access.roles import Role, RoleGraph

CUSTOMER = Role(
    "customer",
    frozenset({"orders.place_order", "orders.view_own_orders", "orders.cancel_own_order", "billing.view_own_invoices"}),
)
#: Reads the orders and invoices of the customers it is granted (per object), besides its own.
SUPPORT = Role(
    "support",
    frozenset({"orders.view_granted_orders", "billing.view_granted_invoices"}),
    parents=("customer",),
)
BILLING_ADMIN = Role(
    "billing_admin",
    frozenset({"billing.view_all_invoices", "billing.refund_invoice", "orders.view_all_orders"}),
)
AUDITOR = Role("auditor", frozenset({"audit.view_auditentry"}))
#: Subscribes partners' URLs to orderflow's events, rotates their secrets, inspects and replays deliveries.
INTEGRATOR = Role("integrator", frozenset({"webhooks.manage_webhooks"}))
ADMIN = Role(
    "admin",
    frozenset({"orders.ship_order", "orders.cancel_any_order", "users.deactivate_user"}),
    parents=("support", "billing_admin", "auditor", "integrator"),
)

ROLES = RoleGraph([CUSTOMER, SUPPORT, BILLING_ADMIN, AUDITOR, INTEGRATOR, ADMIN])
