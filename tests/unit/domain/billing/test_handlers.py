"""The billing command handlers on in-memory fakes: no database, a frozen clock, predictable ids."""

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from domain.billing import commands
from domain.billing.errors import (
    InvoiceNotFoundError,
    InvoiceNotOpenError,
    InvoiceNotPaidError,
    PartialRefundError,
    PaymentProviderError,
)
from domain.billing.events import InvoiceIssued, InvoiceRefunded, InvoiceVoided, PaymentCaptured, PaymentFailed
from domain.billing.handlers import (
    capture_payment,
    issue_invoice,
    record_payment_failure,
    record_provider_refund,
    refund_invoice,
    void_invoice,
)
from domain.billing.model import Invoice, InvoiceStatus
from domain.kernel.errors import ValidationError
from domain.kernel.ids import SequentialIdFactory
from domain.kernel.money import Money
from domain.kernel.ports import FrozenClock
from domain.kernel.result import Err, Ok
from tests.support.fakes import FakePaymentProvider, billing_uow

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
INVOICE_ID = UUID("bbbbbbbb-0000-4000-8000-000000000001")
ORDER_ID = UUID("cccccccc-0000-4000-8000-000000000001")
CUSTOMER_ID = UUID("dddddddd-0000-4000-8000-000000000001")
STAFF_ID = UUID("aaaaaaaa-0000-4000-8000-0000000000ad")
EUR_42_50 = Money(Decimal("42.50"), "EUR")


@pytest.fixture
def clock():
    return FrozenClock(T0)


@pytest.fixture
def ids():
    return SequentialIdFactory()


def stored(*, paid: bool = False) -> Invoice:
    invoice = Invoice.issue(id=INVOICE_ID, order_id=ORDER_ID, customer_id=CUSTOMER_ID, amount=EUR_42_50, now=T0)
    if paid:
        invoice.capture(payment_id=UUID(int=99), provider_payment_id="pi_1", amount=EUR_42_50, now=T0)
    invoice.pull_events()
    return invoice


def run(handler, command, uow, **ports):
    result = handler(command, uow=uow, **ports)
    if isinstance(result, Ok):
        uow.commit()
    else:
        uow.rollback()
    return result


def test_issue_invoice_opens_one_invoice_for_the_order(clock, ids):
    uow = billing_uow()

    result = run(
        issue_invoice, commands.IssueInvoice(ORDER_ID, CUSTOMER_ID, Decimal("42.5"), "eur"), uow, clock=clock, ids=ids
    )

    assert isinstance(result, Ok)
    invoice = result.value
    assert (invoice.id, invoice.amount, invoice.status) == (UUID(int=1), EUR_42_50, InvoiceStatus.OPEN)
    assert [type(event) for event in uow.published] == [InvoiceIssued]


def test_issue_invoice_for_an_order_already_invoiced_answers_it_and_records_nothing(clock, ids):
    uow = billing_uow([stored()])

    result = run(
        issue_invoice, commands.IssueInvoice(ORDER_ID, CUSTOMER_ID, Decimal("42.50"), "EUR"), uow, clock=clock, ids=ids
    )

    assert isinstance(result, Ok)
    assert result.value.id == INVOICE_ID
    assert uow.published == []


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [(Decimal("1"), "XYZ", "currency"), (Decimal("0"), "EUR", "amount"), (Decimal("NaN"), "EUR", "amount")],
)
def test_issue_invoice_refuses_a_bad_amount_or_currency_by_field(clock, ids, amount, currency, field):
    result = run(
        issue_invoice,
        commands.IssueInvoice(ORDER_ID, CUSTOMER_ID, amount, currency),
        billing_uow(),
        clock=clock,
        ids=ids,
    )

    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    assert list(result.error.errors) == [field]


def test_void_invoice_voids_the_orders_invoice_once(clock):
    uow = billing_uow([stored()])

    first = run(void_invoice, commands.VoidInvoice(ORDER_ID, "cancelled"), uow, clock=clock)
    second = run(void_invoice, commands.VoidInvoice(ORDER_ID, "cancelled"), uow, clock=clock)

    assert isinstance(first, Ok)
    assert isinstance(second, Ok)
    assert [type(event) for event in uow.published] == [InvoiceVoided]


def test_void_invoice_of_an_order_without_invoice_is_not_found(clock):
    result = run(void_invoice, commands.VoidInvoice(ORDER_ID, "cancelled"), billing_uow(), clock=clock)

    assert isinstance(result, Err)
    assert isinstance(result.error, InvoiceNotFoundError)


def test_void_invoice_of_a_paid_invoice_is_a_business_rule_violation(clock):
    result = run(
        void_invoice, commands.VoidInvoice(ORDER_ID, "cancelled"), billing_uow([stored(paid=True)]), clock=clock
    )

    assert isinstance(result, Err)
    assert isinstance(result.error, InvoiceNotOpenError)


def test_capture_payment_pays_the_invoice_and_a_repeat_has_no_second_effect(clock, ids):
    uow = billing_uow([stored()])
    command = commands.CapturePayment(INVOICE_ID, "pi_1", Decimal("42.50"), "EUR")

    run(capture_payment, command, uow, clock=clock, ids=ids)
    again = run(capture_payment, command, uow, clock=clock, ids=ids)

    assert isinstance(again, Ok)
    assert again.value.status is InvoiceStatus.PAID
    assert [type(event) for event in uow.published] == [PaymentCaptured]


def test_capture_payment_with_another_amount_is_recorded_as_rejected(clock, ids):
    uow = billing_uow([stored()])

    result = run(
        capture_payment, commands.CapturePayment(INVOICE_ID, "pi_1", Decimal("40.00"), "EUR"), uow, clock=clock, ids=ids
    )

    assert isinstance(result, Ok)
    assert result.value.status is InvoiceStatus.OPEN
    (event,) = uow.published
    assert isinstance(event, PaymentFailed)
    assert event.status == "rejected"


def test_capture_payment_on_an_unknown_invoice_is_not_found(clock, ids):
    result = run(
        capture_payment,
        commands.CapturePayment(INVOICE_ID, "pi_1", Decimal("42.50"), "EUR"),
        billing_uow(),
        clock=clock,
        ids=ids,
    )

    assert isinstance(result, Err)
    assert isinstance(result.error, InvoiceNotFoundError)


def test_record_payment_failure_records_a_failed_payment(clock, ids):
    uow = billing_uow([stored()])

    result = run(
        record_payment_failure,
        commands.RecordPaymentFailure(INVOICE_ID, "pi_1", Decimal("42.50"), "EUR", "Your card was declined."),
        uow,
        clock=clock,
        ids=ids,
    )

    assert isinstance(result, Ok)
    (event,) = uow.published
    assert (event.status, event.reason) == ("failed", "Your card was declined.")


def refund(command, uow, provider, clock, *, before_recording=None):
    """Run the refund process on fakes: ``load`` reads the stored invoice, each recorded step is a unit of work."""
    recorded = []

    def dispatch(sub):
        recorded.append(sub)
        if before_recording is not None:
            before_recording()
        return run(record_provider_refund, sub, uow, clock=clock)

    result = refund_invoice(command, load=uow.invoices.rows.get, provider=provider, dispatch=dispatch)
    return result, recorded


def test_refund_invoice_asks_the_provider_with_the_invoice_id_as_idempotency_key_then_records_the_refund(clock):
    uow = billing_uow([stored(paid=True)])
    provider = FakePaymentProvider()

    result, recorded = refund(commands.RefundInvoice(INVOICE_ID, STAFF_ID, "returned"), uow, provider, clock)

    assert isinstance(result, Ok)
    assert result.value.status is InvoiceStatus.REFUNDED
    assert provider.calls == [{"provider_payment_id": "pi_1", "amount": EUR_42_50, "idempotency_key": str(INVOICE_ID)}]
    assert recorded == [
        commands.RecordProviderRefund(INVOICE_ID, "re_fake_1", Decimal("42.50"), "EUR", reason="returned")
    ]
    (event,) = uow.published
    assert isinstance(event, InvoiceRefunded)
    assert event.provider_refund_id == "re_fake_1"
    assert uow.invoices.rows[INVOICE_ID].refund_reason == "returned"


def test_refund_invoice_is_not_one_transaction():
    assert commands.RefundInvoice.transactional is False
    assert commands.RecordProviderRefund.transactional is True


def test_refund_invoice_is_ok_when_the_providers_webhook_recorded_the_refund_first(clock):
    uow = billing_uow([stored(paid=True)])

    def webhook_wins():
        webhook = commands.RecordProviderRefund(INVOICE_ID, "re_fake_1", Decimal("42.50"), "EUR")
        assert isinstance(run(record_provider_refund, webhook, uow, clock=clock), Ok)

    result, _ = refund(
        commands.RefundInvoice(INVOICE_ID, STAFF_ID, "returned"),
        uow,
        FakePaymentProvider(),
        clock,
        before_recording=webhook_wins,
    )

    assert isinstance(result, Ok)
    assert result.value.status is InvoiceStatus.REFUNDED
    assert len(uow.published) == 1  # refunded once


def test_refund_invoice_of_a_refunded_invoice_is_ok_and_calls_no_provider(clock):
    invoice = stored(paid=True)
    invoice.refund(provider_refund_id="re_1", amount=EUR_42_50, now=T0)
    invoice.pull_events()
    provider = FakePaymentProvider()

    result, recorded = refund(
        commands.RefundInvoice(INVOICE_ID, STAFF_ID, "again"), billing_uow([invoice]), provider, clock
    )

    assert isinstance(result, Ok)
    assert (provider.calls, recorded) == ([], [])


def test_refund_of_an_unknown_invoice_is_not_found_and_calls_no_provider(clock):
    provider = FakePaymentProvider()

    result, _ = refund(
        commands.RefundInvoice(UUID(int=404), STAFF_ID, "returned"),
        billing_uow([stored(paid=True)]),
        provider,
        clock,
    )

    assert isinstance(result, Err)
    assert isinstance(result.error, InvoiceNotFoundError)
    assert provider.calls == []


def test_refund_invoice_of_an_open_invoice_is_refused_before_calling_the_provider(clock):
    provider = FakePaymentProvider()

    result, _ = refund(
        commands.RefundInvoice(INVOICE_ID, STAFF_ID, "returned"), billing_uow([stored()]), provider, clock
    )

    assert isinstance(result, Err)
    assert isinstance(result.error, InvoiceNotPaidError)
    assert provider.calls == []


def test_refund_invoice_reports_a_provider_failure_and_records_nothing(clock):
    uow = billing_uow([stored(paid=True)])

    result, recorded = refund(
        commands.RefundInvoice(INVOICE_ID, STAFF_ID, "returned"),
        uow,
        FakePaymentProvider(fail_with="provider down"),
        clock,
    )

    assert result == Err(PaymentProviderError("provider down"))
    assert recorded == []
    assert uow.invoices.rows[INVOICE_ID].status is InvoiceStatus.PAID
    assert uow.published == []


def test_refund_invoice_needs_a_reason(clock):
    provider = FakePaymentProvider()

    result, _ = refund(
        commands.RefundInvoice(INVOICE_ID, STAFF_ID, " "), billing_uow([stored(paid=True)]), provider, clock
    )

    assert isinstance(result, Err)
    assert list(result.error.errors) == ["reason"]
    assert provider.calls == []


def test_record_provider_refund_refunds_once(clock):
    uow = billing_uow([stored(paid=True)])
    command = commands.RecordProviderRefund(INVOICE_ID, "re_1", Decimal("42.50"), "EUR")

    first = run(record_provider_refund, command, uow, clock=clock)
    second = run(record_provider_refund, command, uow, clock=clock)

    assert isinstance(first, Ok)
    assert isinstance(second, Ok)
    assert [type(event) for event in uow.published] == [InvoiceRefunded]


def test_record_provider_refund_of_part_of_the_amount_is_refused(clock):
    result = run(
        record_provider_refund,
        commands.RecordProviderRefund(INVOICE_ID, "re_1", Decimal("2.50"), "EUR"),
        billing_uow([stored(paid=True)]),
        clock=clock,
    )

    assert isinstance(result, Err)
    assert isinstance(result.error, PartialRefundError)
