"""Invariants of the Invoice aggregate under any sequence of payment reports and commands."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.billing.events import PaymentFailed
from domain.billing.model import Invoice, InvoiceStatus, PaymentStatus
from tests.properties.billing_strategies import ACTIONS, apply_action, invoices_with_history


def settled_state(invoice: Invoice) -> tuple:
    """Everything a final invoice must keep: its status, dates, refund and the payment that paid it."""
    return (
        invoice.status,
        invoice.amount,
        invoice.paid_at,
        invoice.voided_at,
        invoice.refunded_at,
        invoice.provider_refund_id,
        [payment.id for payment in invoice.payments if payment.status is PaymentStatus.CAPTURED],
    )


def close(invoice: Invoice) -> None:
    """Bring any invoice to a final state: void it if open, refund it if paid."""
    if invoice.status is InvoiceStatus.OPEN:
        invoice.void(reason="closing", now=invoice.issued_at)
    elif invoice.status is InvoiceStatus.PAID:
        invoice.refund(provider_refund_id="re_final", amount=invoice.amount, now=invoice.issued_at)


@given(invoices_with_history(), st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=6), st.data())
def test_no_transition_leaves_a_final_state(invoice: Invoice, actions: list[str], data: st.DataObject) -> None:
    """For any invoice in a final state (void or refunded), any further captures, failures, voids
    and refunds leave its status, dates, refund id and captured payment as they were; the only
    events they record are PaymentFailed (a rejected capture or a reported failure)."""
    close(invoice)
    assert invoice.status.is_final
    before, recorded = settled_state(invoice), len(invoice.pending_events)
    now = invoice.issued_at
    for action in actions:
        now += timedelta(hours=1)
        apply_action(invoice, action, data.draw, now)

        assert settled_state(invoice) == before
    assert all(isinstance(event, PaymentFailed) for event in invoice.pending_events[recorded:])


@given(invoices_with_history())
def test_an_invoice_never_mixes_currencies(invoice: Invoice) -> None:
    """For any history, the invoice keeps the amount and currency it was issued with, at most one
    payment is captured and it is exactly that amount in that currency, every payment in another
    currency was rejected or failed, and the invoice counts as paid exactly when one was captured."""
    issued = invoice.pending_events[0]
    captured = [payment for payment in invoice.payments if payment.status is PaymentStatus.CAPTURED]

    assert (invoice.amount.amount, invoice.amount.currency) == (issued.amount, issued.currency)
    assert len(captured) <= 1
    assert all(payment.amount == invoice.amount for payment in captured)
    assert all(
        payment.status is not PaymentStatus.CAPTURED
        for payment in invoice.payments
        if payment.amount.currency != invoice.currency
    )
    assert (invoice.status in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED)) == bool(captured)


@given(invoices_with_history())
def test_the_versions_of_an_invoices_events_are_consecutive(invoice: Invoice) -> None:
    """For any history, the recorded events carry versions 1, 2, ... n and the invoice is at version n."""
    assert [event.aggregate_version for event in invoice.pending_events] == list(range(1, invoice.version + 1))
