"""The billing context's part of the composition root: its handlers bound to their adapters."""

from __future__ import annotations

from apps.billing import queries
from apps.billing.provider import payment_provider
from apps.core.unit_of_work import in_unit_of_work
from domain.billing import commands, handlers
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
    command_bus.register(
        commands.RefundInvoice, in_unit_of_work(handlers.refund_invoice, clock=clock, provider=payment_provider())
    )
    command_bus.register(commands.RecordProviderRefund, in_unit_of_work(handlers.record_provider_refund, clock=clock))

    query_bus.register(queries.GetInvoice, queries.get_invoice)
    query_bus.register(queries.ListInvoices, queries.list_invoices)
