"""Every use case of the billing context, bound once: the handler with its adapters, and who may send it.

``grep RefundInvoice apps/billing/wiring.py`` shows all that is bound to a
refund. The composition root (``apps.composition``) puts these on the buses;
the authorization middleware (``apps.security.authorization``) reads the rules.
A customer sees their own invoices (the read row's ``customer_id``); support
agents see others' through object grants (``SUPPORT_GRANTS``).
"""

from __future__ import annotations

from functools import partial
from uuid import UUID

from apps.billing import policies, projections, queries
from apps.billing.models import Invoice as InvoiceRow
from apps.billing.provider import as_provider_report, payment_provider
from apps.billing.repository import DjangoInvoiceRepository
from apps.messaging.registry import Projection, policy
from apps.platform.buses import dispatch
from apps.platform.listing import scoped
from apps.platform.unit_of_work import in_unit_of_work
from apps.platform.wiring import Binding, Ports
from apps.security.authorization import Needs, Seen, SystemOnly
from domain.billing import commands, handlers
from domain.billing.model import Invoice

REPOSITORIES = {"invoices": DjangoInvoiceRepository}
#: What ``manage.py grant_access`` gives a support agent on a customer's invoices: reading only.
SUPPORT_GRANTS = {InvoiceRow: ("billing.view_invoice",)}


#: Who sees which invoices: staff every one, support the customers granted to them, a customer their own.
SEEN = Seen(
    InvoiceRow,
    everything="billing.view_all_invoices",
    granted="billing.view_granted_invoices",
    own="billing.view_own_invoices",
    grant="billing.view_invoice",
)


def _load_invoice(invoice_id: UUID) -> Invoice | None:
    """The invoice as stored now, outside any unit of work (a refund reads it before calling the provider)."""
    return DjangoInvoiceRepository().get(invoice_id)


def command_bindings(ports: Ports) -> tuple[Binding, ...]:
    clock, ids = ports.clock, ports.ids
    return (
        Binding(commands.IssueInvoice, in_unit_of_work(handlers.issue_invoice, clock=clock, ids=ids), SystemOnly()),
        Binding(commands.VoidInvoice, in_unit_of_work(handlers.void_invoice, clock=clock), SystemOnly()),
        Binding(commands.CapturePayment, in_unit_of_work(handlers.capture_payment, clock=clock, ids=ids), SystemOnly()),
        Binding(
            commands.RecordPaymentFailure,
            in_unit_of_work(handlers.record_payment_failure, clock=clock, ids=ids),
            SystemOnly(),
        ),
        # A refund is not one transaction: it reads, calls the provider, then records (RecordProviderRefund)
        # what the provider answered, as the provider: the caller was authorized for RefundInvoice.
        Binding(
            commands.RefundInvoice,
            partial(
                handlers.refund_invoice,
                load=_load_invoice,
                provider=payment_provider(),
                dispatch=as_provider_report(dispatch),
            ),
            Needs("billing.refund_invoice", by="requested_by"),
        ),
        # What the provider reported: its webhook, or its answer to RefundInvoice (recorded as the provider).
        Binding(
            commands.RecordProviderRefund, in_unit_of_work(handlers.record_provider_refund, clock=clock), SystemOnly()
        ),
    )


def query_bindings() -> tuple[Binding, ...]:
    return (
        Binding(queries.GetInvoice, scoped(queries.get_invoice), SEEN.rule()),
        Binding(queries.ListInvoices, scoped(queries.list_invoices), SEEN.rule()),
    )


PROJECTIONS = (Projection.of(projections, name="invoices_read", consumer="invoices-read", fed_by=("billing.",)),)
POLICIES = (policy(policies, dispatch=dispatch),)
#: An invoice's events travel in its order's stream (the same shard of every consumer): orders_read applies
#: them to the order's row, right after the order's own events (apps.messaging.routing).
GROUPED_WITH = {Invoice.aggregate_type: "order_id"}
