"""The billing context's part of the composition root: its handlers bound to their adapters."""

from __future__ import annotations

from functools import partial
from uuid import UUID

from apps.billing import queries
from apps.billing.provider import as_provider_report, payment_provider
from apps.billing.repository import DjangoInvoiceRepository
from apps.core.unit_of_work import in_unit_of_work
from domain.billing import commands, handlers
from domain.billing.model import Invoice
from domain.kernel.bus import CommandBus, QueryBus
from domain.kernel.ids import IdFactory
from domain.kernel.ports import Clock


def register(command_bus: CommandBus, query_bus: QueryBus, *, clock: Clock, ids: IdFactory) -> None:
    command_bus.register(commands.IssueInvoice, in_unit_of_work(handlers.issue_invoice, clock=clock, ids=ids))
    command_bus.register(commands.VoidInvoice, in_unit_of_work(handlers.void_invoice, clock=clock))
    command_bus.register(commands.CapturePayment, in_unit_of_work(handlers.capture_payment, clock=clock, ids=ids))
    command_bus.register(
        commands.RecordPaymentFailure, in_unit_of_work(handlers.record_payment_failure, clock=clock, ids=ids)
    )
    # A refund is not one transaction: it reads, calls the provider, then records (RecordProviderRefund)
    # what the provider answered, as the provider: the caller was authorized for RefundInvoice.
    command_bus.register(
        commands.RefundInvoice,
        partial(
            handlers.refund_invoice,
            load=_load_invoice,
            provider=payment_provider(),
            dispatch=as_provider_report(command_bus.dispatch),
        ),
    )
    command_bus.register(commands.RecordProviderRefund, in_unit_of_work(handlers.record_provider_refund, clock=clock))

    query_bus.register(queries.GetInvoice, queries.get_invoice)
    query_bus.register(queries.ListInvoices, queries.list_invoices)


def _load_invoice(invoice_id: UUID) -> Invoice | None:
    """The invoice as stored now, outside any unit of work (a refund reads it before calling the provider)."""
    return DjangoInvoiceRepository().get(invoice_id)
