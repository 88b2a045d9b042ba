"""DjangoInvoiceRepository on PostgreSQL: what is saved comes back, and stale writes are refused."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from apps.billing.models import Invoice as InvoiceRow
from apps.billing.models import Payment as PaymentRow
from apps.billing.repository import DjangoInvoiceRepository
from apps.composition.buses import unit_of_work
from apps.outbox.models import OutboxEntry
from apps.platform.unit_of_work import UnitOfWorkMiddleware, in_unit_of_work
from domain.billing.commands import CapturePayment, IssueInvoice, RecordPaymentFailure
from domain.billing.handlers import issue_invoice
from domain.billing.model import InvoiceStatus, PaymentStatus
from domain.kernel.bus import CommandBus
from domain.kernel.errors import ConflictError
from domain.kernel.ids import RandomIdFactory
from domain.kernel.money import Money
from domain.kernel.ports import SystemClock
from tests.integration.threads import in_thread
from tests.support.commands import dispatch

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def issue(amount: str = "42.50", currency: str = "EUR"):
    return dispatch(
        IssueInvoice(order_id=uuid.uuid4(), customer_id=uuid.uuid4(), amount=Decimal(amount), currency=currency)
    )


@pytest.mark.django_db
def test_a_saved_invoice_loads_back_equal_in_every_field_with_its_payments_in_order():
    created = issue("1234.567", "KWD")
    dispatch(RecordPaymentFailure(created.id, "pi_1", Decimal("1234.567"), "KWD", "Card declined"))
    dispatch(CapturePayment(created.id, "pi_2", Decimal("1000"), "KWD"))
    dispatch(CapturePayment(created.id, "pi_1", Decimal("1234.567"), "KWD"))

    with unit_of_work() as uow:
        loaded = uow.invoices.get(created.id)
        by_order = uow.invoices.get_by_order(created.order_id)

    assert by_order is loaded
    assert loaded.amount == Money(Decimal("1234.567"), "KWD")
    assert loaded.status is InvoiceStatus.PAID
    assert [(p.provider_payment_id, p.status) for p in loaded.payments] == [
        ("pi_1", PaymentStatus.FAILED),
        ("pi_2", PaymentStatus.REJECTED),
        ("pi_1", PaymentStatus.CAPTURED),
    ]
    assert loaded.version == 4
    assert loaded.pending_events == ()
    assert list(PaymentRow.objects.filter(invoice_id=created.id).values_list("position", flat=True)) == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_a_write_based_on_a_stale_version_is_refused_and_the_newer_state_survives():
    invoice = issue()
    first, second = DjangoInvoiceRepository(), DjangoInvoiceRepository()
    with transaction.atomic():
        paying = first.get(invoice.id)
        voiding = second.get(invoice.id)

    with transaction.atomic():
        paying.capture(payment_id=uuid.uuid4(), provider_payment_id="pi_1", amount=paying.amount, now=T0)
        first.flush()
    voiding.void(reason="cancelled", now=T0)
    with pytest.raises(ConflictError), transaction.atomic():
        second.flush()

    row = InvoiceRow.objects.get(pk=invoice.id)
    assert (row.status, row.version, row.voided_at) == ("paid", 2, None)
    assert PaymentRow.objects.filter(invoice_id=invoice.id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_issues_for_one_order_make_one_invoice_and_both_answer_it():
    both_checked = threading.Barrier(2, timeout=10)

    class WaitingIds(RandomIdFactory):
        # Asked for an id after the "no invoice for this order yet" check: both have passed it.
        def new(self):
            both_checked.wait()
            return super().new()

    bus = CommandBus()
    bus.add_middleware(UnitOfWorkMiddleware(unit_of_work))
    bus.register(IssueInvoice, in_unit_of_work(issue_invoice, clock=SystemClock(), ids=WaitingIds()))
    command = IssueInvoice(order_id=uuid.uuid4(), customer_id=uuid.uuid4(), amount=Decimal("10"), currency="EUR")
    results = []
    threads = [in_thread(lambda: results.append(bus.dispatch(command))) for _ in range(2)]
    for thread in threads:
        thread.join(timeout=20)

    assert [type(r).__name__ for r in results] == ["Ok", "Ok"]
    assert results[0].value.id == results[1].value.id
    assert InvoiceRow.objects.filter(order_id=command.order_id).count() == 1
    assert (
        OutboxEntry.objects.filter(event_type="billing.invoice_issued", payload__order_id=str(command.order_id)).count()
        == 1
    )
