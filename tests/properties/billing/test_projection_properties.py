"""Property 7: the invoices_read projection ends in the state of the history, however the broker delivers it.

Events take the production path: aggregate -> integration event -> outbox row ->
the dispatcher's ``envelope(entry)`` -> JSON -> ``apps.messaging.inbox.deliver``
(inbox + projection). Each Hypothesis example runs in a savepoint that is
rolled back, so examples never see each other's rows.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given

from apps.billing.models import InvoiceReadModel
from apps.messaging.registry import projection
from domain.billing.model import Invoice
from tests.properties.billing_strategies import invoices_with_history
from tests.properties.delivery import (
    assert_projection_reflects_histories,
    histories_and_deliveries,
)

INVOICES_READ = projection("invoices_read")


def expected_state(invoice: Invoice) -> dict[str, Any]:
    """The invoices_read row the full history of ``invoice`` must leave."""
    return {
        "order_id": invoice.order_id,
        "customer_id": invoice.customer_id,
        "status": invoice.status.value,
        "amount": invoice.amount.amount,
        "currency": invoice.currency,
        "issued_at": invoice.issued_at,
        "created_at": invoice.issued_at,
        "paid_at": invoice.paid_at,
        "voided_at": invoice.voided_at,
        "refunded_at": invoice.refunded_at,
        "version": invoice.version,
        "payments": [
            (str(p.id), p.provider_payment_id, p.amount.amount, p.amount.currency, p.status.value, p.reason, p.at)
            for p in invoice.payments
        ],
    }


def row_state(row: InvoiceReadModel) -> dict[str, Any]:
    state = {
        field: getattr(row, field)
        for field in (
            "order_id",
            "customer_id",
            "status",
            "amount",
            "currency",
            "issued_at",
            "created_at",
            "paid_at",
            "voided_at",
            "refunded_at",
            "version",
        )
    }
    state["payments"] = [
        (
            p["payment_id"],
            p["provider_payment_id"],
            Decimal(p["amount"]),
            p["currency"],
            p["status"],
            p["reason"],
            datetime.fromisoformat(p["at"]),
        )
        for p in row.payments
    ]
    return state


# **Feature: architecture-restructuring-2025, Property 7: Projections Update Read Models from Events**
# **Validates: Requirements 4.2**
@pytest.mark.django_db
@given(histories_and_deliveries(invoices_with_history()))
def test_invoices_read_reflects_the_history_whatever_the_order_and_duplicates_of_delivery(
    case: tuple[list[Invoice], list[int]],
) -> None:
    """For any histories of one to three invoices (InvoiceIssued v1, then any mix of captures,
    rejected and failed payments, voids and refunds, versions consecutive), delivered through
    deliver() in any order with any duplicates, an event answered with RetryLater being redelivered
    later (at the back of the queue), each invoices_read row ends equal to the state of its
    invoice's full history (status, amount, dates, payments in order, version), every event is
    applied exactly once and the inbox holds exactly one row per event."""
    assert_projection_reflects_histories(INVOICES_READ.consumer, case, InvoiceReadModel, row_state, expected_state)


def test_the_projection_is_registered_under_its_contract_names() -> None:
    """invoices_read is fed by every billing event through the invoices-read consumer."""
    assert (INVOICES_READ.name, INVOICES_READ.consumer.name) == (
        "invoices_read",
        "invoices-read",
    )
    assert INVOICES_READ.event_type_prefixes == ("billing.",)
    assert INVOICES_READ.consumer.binding_keys == ("billing.#",)
