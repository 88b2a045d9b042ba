"""Hypothesis strategies for the billing context, shared by its property tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import strategies as st

from domain.billing.model import Invoice
from domain.kernel.money import CURRENCIES, Money, minor_unit
from tests.properties.strategies import aware_datetimes

currencies = st.sampled_from(sorted(CURRENCIES))
# A few currencies of each minor unit (0, 2, 3 and 4 digits), so mismatches are common enough to matter.
common_currencies = st.sampled_from(["EUR", "USD", "JPY", "KWD", "CLF"])


@st.composite
def money(draw: st.DrawFn, currency: st.SearchStrategy[str] = common_currencies) -> Money:
    """A positive amount, to the currency's minor unit."""
    code = draw(currency)
    units = draw(st.integers(min_value=1, max_value=10**12))
    return Money(Decimal(units).scaleb(-minor_unit(code)), code)


provider_payment_ids = st.sampled_from(["pi_a", "pi_b", "pi_c"])
reasons = st.text(alphabet=st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=40).filter(str.strip)

ACTIONS = ("capture_matching", "capture_other", "fail", "void", "refund", "refund_partial")


@st.composite
def invoices_with_history(draw: st.DrawFn) -> Invoice:
    """A freshly issued invoice that then went through a random sequence of reports and commands
    (events pending), legal or not: what the aggregate refuses simply records nothing."""
    now = draw(aware_datetimes)
    amount = draw(money())
    invoice = Invoice.issue(
        id=draw(st.uuids()), order_id=draw(st.uuids()), customer_id=draw(st.uuids()), amount=amount, now=now
    )
    for action in draw(st.lists(st.sampled_from(ACTIONS), max_size=6)):
        now += draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))
        apply_action(invoice, action, draw, now)
    return invoice


def apply_action(invoice: Invoice, action: str, draw: st.DrawFn, now) -> None:  # type: ignore[no-untyped-def]
    match action:
        case "capture_matching" | "capture_other":
            invoice.capture(
                payment_id=draw(st.uuids()),
                provider_payment_id=draw(provider_payment_ids),
                amount=invoice.amount if action == "capture_matching" else draw(money()),
                now=now,
            )
        case "fail":
            invoice.record_failure(
                payment_id=draw(st.uuids()),
                provider_payment_id=draw(provider_payment_ids),
                amount=draw(money()),
                reason=draw(reasons),
                now=now,
            )
        case "void":
            invoice.void(reason=draw(reasons), now=now)
        case "refund":
            invoice.refund(provider_refund_id=f"re_{draw(st.integers(0, 9))}", amount=invoice.amount, now=now)
        case "refund_partial":
            invoice.refund(provider_refund_id="re_part", amount=draw(money()), now=now)
