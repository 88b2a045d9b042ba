"""The Invoice aggregate: its transitions, how payments are matched, and repeated reports."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.billing.errors import InvoiceNotOpenError, InvoiceNotPaidError, PartialRefundError
from domain.billing.events import InvoiceIssued, InvoiceRefunded, InvoiceVoided, PaymentCaptured, PaymentFailed
from domain.billing.model import Invoice, InvoiceStatus, PaymentStatus
from domain.kernel.errors import InvalidValueError
from domain.kernel.events import to_integration_event
from domain.kernel.money import Money
from domain.kernel.result import Err, Ok

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
INVOICE_ID = UUID("bbbbbbbb-0000-4000-8000-000000000001")
ORDER_ID = UUID("cccccccc-0000-4000-8000-000000000001")
CUSTOMER_ID = UUID("dddddddd-0000-4000-8000-000000000001")
PAYMENT_1 = UUID("eeeeeeee-0000-4000-8000-000000000001")
PAYMENT_2 = UUID("eeeeeeee-0000-4000-8000-000000000002")
EUR_42_50 = Money(Decimal("42.50"), "EUR")

# What every billing payload names the invoice by, and EUR_42_50 as a payload writes it.
INVOICE_KEYS = {"invoice_id": str(INVOICE_ID), "order_id": str(ORDER_ID)}
EUR_42_50_FIELDS = {"amount": "42.50", "currency": "EUR"}


def issued(amount: Money = EUR_42_50) -> Invoice:
    return Invoice.issue(id=INVOICE_ID, order_id=ORDER_ID, customer_id=CUSTOMER_ID, amount=amount, now=T0)


def paid() -> Invoice:
    invoice = issued()
    invoice.capture(payment_id=PAYMENT_1, provider_payment_id="pi_1", amount=EUR_42_50, now=T0 + timedelta(minutes=1))
    return invoice


def test_issuing_opens_the_invoice_and_records_invoice_issued_with_the_contract_payload():
    invoice = issued()

    assert invoice.status is InvoiceStatus.OPEN
    assert invoice.version == 1
    (event,) = invoice.pending_events
    assert isinstance(event, InvoiceIssued)
    assert to_integration_event(event).payload == {**INVOICE_KEYS, "customer_id": str(CUSTOMER_ID), **EUR_42_50_FIELDS}
    assert event.aggregate_type == "billing.invoice"


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_an_invoice_is_for_a_positive_amount(amount):
    with pytest.raises(InvalidValueError) as raised:
        issued(Money(Decimal(amount), "EUR"))
    assert raised.value.field == "amount"


def test_a_matching_capture_pays_an_open_invoice():
    invoice = issued()

    payment = invoice.capture(payment_id=PAYMENT_1, provider_payment_id="pi_1", amount=EUR_42_50, now=T0)

    assert invoice.status is InvoiceStatus.PAID
    assert invoice.paid_at == T0
    assert payment.status is PaymentStatus.CAPTURED
    event = invoice.pending_events[-1]
    assert isinstance(event, PaymentCaptured)
    assert to_integration_event(event).payload == {
        **INVOICE_KEYS,
        "payment_id": str(PAYMENT_1),
        "provider_payment_id": "pi_1",
        **EUR_42_50_FIELDS,
    }


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (Money(Decimal("42.49"), "EUR"), "Paid 42.49 EUR, but the invoice is for 42.50 EUR."),
        (Money(Decimal("42.50"), "USD"), "Paid 42.50 USD, but the invoice is for 42.50 EUR."),
    ],
)
def test_a_capture_of_another_amount_or_currency_is_rejected_and_the_invoice_stays_open(amount, reason):
    invoice = issued()

    payment = invoice.capture(payment_id=PAYMENT_1, provider_payment_id="pi_1", amount=amount, now=T0)

    assert invoice.status is InvoiceStatus.OPEN
    assert invoice.paid_at is None
    assert (payment.status, payment.reason) == (PaymentStatus.REJECTED, reason)
    event = invoice.pending_events[-1]
    assert isinstance(event, PaymentFailed)
    assert (event.status, event.reason, event.amount, event.currency) == (
        "rejected",
        reason,
        amount.amount,
        amount.currency,
    )


def test_a_capture_on_an_invoice_that_is_not_open_is_rejected_with_the_reason():
    invoice = paid()

    payment = invoice.capture(payment_id=PAYMENT_2, provider_payment_id="pi_2", amount=EUR_42_50, now=T0)

    assert invoice.status is InvoiceStatus.PAID
    assert (payment.status, payment.reason) == (PaymentStatus.REJECTED, "The invoice is paid.")
    assert isinstance(invoice.pending_events[-1], PaymentFailed)
    assert [p.provider_payment_id for p in invoice.payments] == ["pi_1", "pi_2"]


@pytest.mark.parametrize("amount", [EUR_42_50, Money(Decimal("1.00"), "EUR")])
def test_capturing_the_same_provider_payment_twice_has_no_second_effect(amount):
    invoice = issued()
    first = invoice.capture(payment_id=PAYMENT_1, provider_payment_id="pi_1", amount=amount, now=T0)
    version = invoice.version

    again = invoice.capture(payment_id=PAYMENT_2, provider_payment_id="pi_1", amount=amount, now=T0)

    assert again is first
    assert invoice.version == version
    assert len(invoice.payments) == 1


def test_a_failure_is_recorded_as_failed_and_repeated_reports_are_ignored():
    invoice = issued()

    failed = invoice.record_failure(
        payment_id=PAYMENT_1, provider_payment_id="pi_1", amount=EUR_42_50, reason="Card declined", now=T0
    )
    repeated = invoice.record_failure(
        payment_id=PAYMENT_2, provider_payment_id="pi_1", amount=EUR_42_50, reason="Card declined", now=T0
    )

    assert repeated is failed
    assert invoice.status is InvoiceStatus.OPEN
    assert (failed.status, failed.reason) == (PaymentStatus.FAILED, "Card declined")
    assert [type(e) for e in invoice.pending_events] == [InvoiceIssued, PaymentFailed]
    assert invoice.pending_events[-1].status == "failed"


def test_a_payment_that_failed_once_can_still_succeed_later():
    invoice = issued()
    invoice.record_failure(
        payment_id=PAYMENT_1, provider_payment_id="pi_1", amount=EUR_42_50, reason="Card declined", now=T0
    )

    invoice.capture(payment_id=PAYMENT_2, provider_payment_id="pi_1", amount=EUR_42_50, now=T0)

    assert invoice.status is InvoiceStatus.PAID
    assert [p.status for p in invoice.payments] == [PaymentStatus.FAILED, PaymentStatus.CAPTURED]


def test_a_failure_reported_after_the_capture_changes_nothing():
    invoice = paid()
    version = invoice.version

    invoice.record_failure(payment_id=PAYMENT_2, provider_payment_id="pi_1", amount=EUR_42_50, reason="late", now=T0)

    assert invoice.version == version
    assert invoice.status is InvoiceStatus.PAID


def test_voiding_an_open_invoice_records_invoice_voided_and_again_records_nothing():
    invoice = issued()

    assert invoice.void(reason="  customer cancelled  ", now=T0) == Ok(None)
    assert invoice.void(reason="again", now=T0) == Ok(None)

    assert invoice.status is InvoiceStatus.VOID
    assert invoice.void_reason == "customer cancelled"
    assert [type(e) for e in invoice.pending_events] == [InvoiceIssued, InvoiceVoided]
    assert to_integration_event(invoice.pending_events[-1]).payload == {**INVOICE_KEYS, "reason": "customer cancelled"}


def test_a_paid_invoice_cannot_be_voided():
    invoice = paid()

    result = invoice.void(reason="too late", now=T0)

    assert isinstance(result, Err)
    assert isinstance(result.error, InvoiceNotOpenError)
    assert invoice.status is InvoiceStatus.PAID


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_void_needs_a_reason_of_at_most_500_characters(reason):
    with pytest.raises(InvalidValueError):
        issued().void(reason=reason, now=T0)


def test_refunding_a_paid_invoice_records_invoice_refunded_with_the_provider_refund_id():
    invoice = paid()

    assert invoice.refund(provider_refund_id="re_1", amount=EUR_42_50, now=T0, reason="returned") == Ok(None)

    assert invoice.status is InvoiceStatus.REFUNDED
    assert (invoice.provider_refund_id, invoice.refund_reason, invoice.refunded_at) == ("re_1", "returned", T0)
    event = invoice.pending_events[-1]
    assert isinstance(event, InvoiceRefunded)
    assert to_integration_event(event).payload == {**INVOICE_KEYS, **EUR_42_50_FIELDS, "provider_refund_id": "re_1"}


def test_refunding_again_records_nothing():
    invoice = paid()
    invoice.refund(provider_refund_id="re_1", amount=EUR_42_50, now=T0)
    version = invoice.version

    assert invoice.refund(provider_refund_id="re_2", amount=EUR_42_50, now=T0) == Ok(None)
    assert (invoice.version, invoice.provider_refund_id) == (version, "re_1")


def test_only_a_paid_invoice_can_be_refunded():
    invoice = issued()

    result = invoice.refund(provider_refund_id="re_1", amount=EUR_42_50, now=T0)

    assert isinstance(result, Err)
    assert isinstance(result.error, InvoiceNotPaidError)
    assert invoice.status is InvoiceStatus.OPEN


def test_a_partial_refund_is_refused():
    invoice = paid()

    result = invoice.refund(provider_refund_id="re_1", amount=Money(Decimal("10.00"), "EUR"), now=T0)

    assert isinstance(result, Err)
    assert isinstance(result.error, PartialRefundError)
    assert invoice.status is InvoiceStatus.PAID


@pytest.mark.parametrize("final", ["void", "refunded"])
def test_nothing_leaves_a_final_state(final):
    invoice = issued()
    if final == "void":
        invoice.void(reason="cancelled", now=T0)
    else:
        invoice.capture(payment_id=PAYMENT_1, provider_payment_id="pi_1", amount=EUR_42_50, now=T0)
        invoice.refund(provider_refund_id="re_1", amount=EUR_42_50, now=T0)

    invoice.capture(payment_id=PAYMENT_2, provider_payment_id="pi_2", amount=EUR_42_50, now=T0)
    invoice.void(reason="again", now=T0)
    invoice.refund(provider_refund_id="re_2", amount=EUR_42_50, now=T0)

    assert invoice.status.value == final


def test_provider_ids_must_be_given():
    with pytest.raises(InvalidValueError) as raised:
        issued().capture(payment_id=PAYMENT_1, provider_payment_id=" ", amount=EUR_42_50, now=T0)
    assert raised.value.field == "provider_payment_id"
