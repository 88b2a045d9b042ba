"""Who may send each command and query: the one table the authorization middleware reads.

Role permissions are the catalogue's (``domain/access/catalogue.py``); object
grants are django-guardian's (``apps.security.access``). A message type missing
here is refused by the middleware; ``tests/unit/apps/security`` fails the build
when one that the buses handle has no rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from apps.audit import queries as audit_queries
from apps.billing import queries as invoice_queries
from apps.billing.models import Invoice
from apps.orders import queries as order_queries
from apps.orders.models import Order
from apps.security.authorization import (
    CreatedBySystem,
    ForThemselves,
    Listed,
    Needs,
    OnObject,
    OwnAccount,
    Public,
    Rule,
    SystemOnly,
)
from apps.users import queries as user_queries
from domain.billing import commands as billing
from domain.billing.errors import InvoiceNotFoundError
from domain.orders import commands as orders
from domain.orders.errors import OrderNotFoundError
from domain.users import commands as users


def _no_order() -> OrderNotFoundError:
    return OrderNotFoundError("No order has this id.")


def _no_invoice() -> InvoiceNotFoundError:
    return InvoiceNotFoundError("No invoice has this id.")


COMMANDS: Mapping[type, Rule] = {
    users.RegisterUser: Public(),
    users.AuthenticateUser: Public(),
    users.UpdateProfile: OwnAccount("user_id", otherwise="users.change_user"),
    users.DeactivateUser: Needs("users.deactivate_user", by="requested_by"),
    orders.PlaceOrder: ForThemselves("orders.place_order", field="customer_id", creates=Order),
    orders.CancelOrder: OnObject(
        "order_id",
        Order,
        everything="orders.cancel_any_order",
        own="orders.cancel_own_order",
        grant="orders.change_order",
        hidden=_no_order,
        by="requested_by",
    ),
    orders.ShipOrder: Needs("orders.ship_order", by="shipped_by"),
    orders.MarkOrderPaid: SystemOnly(),
    orders.MarkOrderRefunded: SystemOnly(),
    billing.IssueInvoice: CreatedBySystem(Invoice),
    billing.VoidInvoice: SystemOnly(),
    billing.CapturePayment: SystemOnly(),
    billing.RecordPaymentFailure: SystemOnly(),
    billing.RefundInvoice: Needs("billing.refund_invoice", by="requested_by"),
    # What the provider reported: its webhook, or its answer to RefundInvoice (recorded as the provider).
    billing.RecordProviderRefund: SystemOnly(),
}

QUERIES: Mapping[type, Rule] = {
    audit_queries.ListAuditEntries: Needs("audit.view_auditentry"),
    user_queries.GetUser: OwnAccount("user_id", otherwise="users.view_user"),
    order_queries.GetOrder: OnObject(
        "order_id",
        Order,
        everything="orders.view_all_orders",
        granted="orders.view_granted_orders",
        own="orders.view_own_orders",
        grant="orders.view_order",
        hidden=_no_order,
    ),
    order_queries.ListOrders: Listed(
        Order,
        everything="orders.view_all_orders",
        granted="orders.view_granted_orders",
        own="orders.view_own_orders",
        grant="orders.view_order",
    ),
    invoice_queries.GetInvoice: OnObject(
        "invoice_id",
        Invoice,
        everything="billing.view_all_invoices",
        granted="billing.view_granted_invoices",
        own="billing.view_own_invoices",
        grant="billing.view_invoice",
        hidden=_no_invoice,
    ),
    invoice_queries.ListInvoices: Listed(
        Invoice,
        everything="billing.view_all_invoices",
        granted="billing.view_granted_invoices",
        own="billing.view_own_invoices",
        grant="billing.view_invoice",
    ),
}
