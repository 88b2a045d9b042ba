"""Property 6: the mapper between the ``invoices``/``payments`` rows and the Invoice aggregate loses nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apps.billing import mapper
from apps.billing.models import Invoice as InvoiceRow
from domain.billing.model import Invoice
from tests.properties.billing_strategies import invoices_with_history, money, reasons
from tests.properties.roundtrip import assert_loaded_as_it_was
from tests.properties.strategies import aware_datetimes

#: What an invoice holds besides its payments.
STATE = (
    "id",
    "order_id",
    "customer_id",
    "amount",
    "status",
    "issued_at",
    "paid_at",
    "voided_at",
    "void_reason",
    "refunded_at",
    "refund_reason",
    "provider_refund_id",
    "version",
)


def aggregate_state(invoice: Invoice) -> dict[str, Any]:
    """Everything an aggregate holds (Invoice and Payment equality compare ids only)."""
    state = {name: getattr(invoice, name) for name in STATE}
    state["payments"] = [(p.id, p.provider_payment_id, p.amount, p.status, p.reason, p.at) for p in invoice.payments]
    return state


# **Feature: architecture-restructuring-2025, Property 6: Domain-DTO Mapper Round-Trip**
# **Validates: Requirements 3.5**
@given(invoices_with_history())
def test_invoice_aggregate_mapped_to_rows_and_back_keeps_every_field(invoice: Invoice) -> None:
    """For any Invoice aggregate with any payment history, to_domain(to_row(invoice), payment_rows(invoice))
    holds the same ids, amount, status, dates, reasons, refund id, payments (in order) and version."""
    expected = aggregate_state(invoice)

    rebuilt = mapper.to_domain(mapper.to_row(invoice), reversed(mapper.payment_rows(invoice)))

    assert_loaded_as_it_was(rebuilt, expected, aggregate_state, invoice.version)


@st.composite
def invoice_rows(draw: st.DrawFn) -> InvoiceRow:
    amount = draw(money())
    return InvoiceRow(
        id=draw(st.uuids()),
        order_id=draw(st.uuids()),
        customer_id=draw(st.uuids()),
        amount=amount.amount,
        currency=amount.currency,
        status=draw(st.sampled_from(["open", "paid", "void", "refunded"])),
        issued_at=draw(aware_datetimes),
        paid_at=draw(st.none() | aware_datetimes),
        voided_at=draw(st.none() | aware_datetimes),
        void_reason=draw(st.just("") | reasons),
        refunded_at=draw(st.none() | aware_datetimes),
        refund_reason=draw(st.just("") | reasons),
        provider_refund_id=draw(st.sampled_from(["", "re_1", "re_sim_0f"])),
        version=draw(st.integers(min_value=1, max_value=2**31 - 1)),
    )


# **Feature: architecture-restructuring-2025, Property 6: Domain-DTO Mapper Round-Trip**
# **Validates: Requirements 3.5**
@given(invoice_rows())
def test_invoice_row_mapped_to_an_aggregate_and_back_keeps_every_column(row: InvoiceRow) -> None:
    """For any valid invoices row, to_row(to_domain(row)) holds the same value in every column."""
    columns = [field.attname for field in InvoiceRow._meta.concrete_fields]

    rebuilt = mapper.to_row(mapper.to_domain(row, []))

    assert {c: getattr(rebuilt, c) for c in columns} == {c: getattr(row, c) for c in columns}
