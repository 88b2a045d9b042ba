"""Property 17: commands, queries, events and DTOs of the billing context survive a trip through JSON."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apps.billing.queries import GetInvoice, InvoiceDTO, ListInvoices, PaymentDTO, invoice_dto
from domain.billing.commands import (
    CapturePayment,
    IssueInvoice,
    RecordPaymentFailure,
    RecordProviderRefund,
    RefundInvoice,
    VoidInvoice,
)
from domain.billing.events import InvoiceIssued, InvoiceRefunded, InvoiceVoided, PaymentCaptured, PaymentFailed
from domain.kernel.events import to_integration_event
from tests.properties.billing_strategies import invoices_with_history
from tests.properties.roundtrip import assert_survives_json
from tests.properties.strategies import any_offset_datetimes, event_stamps

decimals = st.decimals(allow_nan=False, allow_infinity=False)

commands = st.one_of(
    st.builds(IssueInvoice, order_id=st.uuids(), customer_id=st.uuids(), amount=decimals, currency=st.text()),
    st.builds(VoidInvoice, order_id=st.uuids(), reason=st.text()),
    st.builds(
        CapturePayment, invoice_id=st.uuids(), provider_payment_id=st.text(), amount=decimals, currency=st.text()
    ),
    st.builds(
        RecordPaymentFailure,
        invoice_id=st.uuids(),
        provider_payment_id=st.text(),
        amount=decimals,
        currency=st.text(),
        reason=st.text(),
    ),
    st.builds(RefundInvoice, invoice_id=st.uuids(), requested_by=st.uuids(), reason=st.text()),
    st.builds(
        RecordProviderRefund, invoice_id=st.uuids(), provider_refund_id=st.text(), amount=decimals, currency=st.text()
    ),
)

queries = st.one_of(
    st.builds(GetInvoice, invoice_id=st.uuids()),
    st.builds(
        ListInvoices,
        status=st.none() | st.text(),
        created_from=st.none() | any_offset_datetimes,
        created_to=st.none() | any_offset_datetimes,
        ordering=st.text(),
    ),
)

_payment = {
    "invoice_id": st.uuids(),
    "order_id": st.uuids(),
    "payment_id": st.uuids(),
    "provider_payment_id": st.text(),
    "amount": decimals,
    "currency": st.text(),
}

events = st.one_of(
    st.builds(
        InvoiceIssued,
        invoice_id=st.uuids(),
        order_id=st.uuids(),
        customer_id=st.uuids(),
        amount=decimals,
        currency=st.text(),
        **event_stamps,
    ),
    st.builds(PaymentCaptured, **_payment, **event_stamps),
    st.builds(PaymentFailed, **_payment, status=st.text(), reason=st.text(), **event_stamps),
    st.builds(InvoiceVoided, invoice_id=st.uuids(), order_id=st.uuids(), reason=st.text(), **event_stamps),
    st.builds(
        InvoiceRefunded,
        invoice_id=st.uuids(),
        order_id=st.uuids(),
        amount=decimals,
        currency=st.text(),
        provider_refund_id=st.text(),
        **event_stamps,
    ),
)

payment_dtos = st.builds(
    PaymentDTO,
    id=st.uuids(),
    provider_payment_id=st.text(),
    amount=decimals,
    currency=st.text(),
    status=st.text(),
    reason=st.text(),
    at=any_offset_datetimes,
)
invoice_dtos = st.one_of(
    invoices_with_history().map(invoice_dto),
    st.builds(
        InvoiceDTO,
        id=st.uuids(),
        order_id=st.uuids(),
        customer_id=st.uuids(),
        status=st.text(),
        amount=decimals,
        currency=st.text(),
        payments=st.lists(payment_dtos, max_size=3).map(tuple),
        issued_at=any_offset_datetimes,
        paid_at=st.none() | any_offset_datetimes,
        voided_at=st.none() | any_offset_datetimes,
        refunded_at=st.none() | any_offset_datetimes,
    ),
)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(commands)
def test_billing_commands_equal_themselves_after_a_json_round_trip(command: Any) -> None:
    """For any billing command (IssueInvoice, VoidInvoice, CapturePayment, RecordPaymentFailure,
    RefundInvoice, RecordProviderRefund), to_primitive -> json -> from_primitive gives an equal object."""
    assert_survives_json(command)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(queries)
def test_billing_queries_equal_themselves_after_a_json_round_trip(query: Any) -> None:
    """For any GetInvoice or ListInvoices query, to_primitive -> json -> from_primitive gives an equal object."""
    assert_survives_json(query)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(events)
def test_billing_domain_events_equal_themselves_after_a_json_round_trip(event: Any) -> None:
    """For any billing domain event, stamped by an aggregate or not,
    to_primitive -> json -> from_primitive gives an equal object."""
    assert_survives_json(event)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(invoices_with_history(), st.data())
def test_billing_integration_events_equal_themselves_after_a_json_round_trip(invoice: Any, data: st.DataObject) -> None:
    """For any event recorded by an Invoice, the IntegrationEvent made by to_integration_event survives
    to_primitive -> json -> from_primitive, and its payload holds amounts as decimal strings."""
    envelope = to_integration_event(data.draw(st.sampled_from(invoice.pending_events)))

    assert_survives_json(envelope)
    if "amount" in envelope.payload:
        assert isinstance(envelope.payload["amount"], str)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(invoice_dtos)
def test_invoice_dtos_equal_themselves_after_a_json_round_trip(dto: Any) -> None:
    """For any InvoiceDTO, built directly or by invoice_dto from an aggregate,
    to_primitive -> json -> from_primitive gives an equal object."""
    assert_survives_json(dto)
