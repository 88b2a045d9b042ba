"""Sku, Quantity, OrderLine and unit prices: invalid values cannot exist."""

from decimal import Decimal

import pytest

from domain.kernel.errors import InvalidValueError
from domain.kernel.money import Money
from domain.orders.model import OrderLine, Quantity, Sku, unit_price


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  book-123 ", "BOOK-123"), ("a.b_c-9", "A.B_C-9"), ("X", "X"), ("Z" * 64, "Z" * 64)],
)
def test_a_sku_is_trimmed_and_upper_cased(raw, expected):
    assert Sku(raw).value == expected
    assert str(Sku(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a SKU."),
        ("   ", "Enter a SKU."),
        ("Z" * 65, "A SKU has at most 64 characters."),
        ("BOOK 123", "A SKU may contain only letters, digits, '.', '_' and '-'."),
        ("BÜCHER", "A SKU may contain only letters, digits, '.', '_' and '-'."),
        ("A/B", "A SKU may contain only letters, digits, '.', '_' and '-'."),
    ],
)
def test_an_invalid_sku_is_refused_naming_the_field(raw, message):
    with pytest.raises(InvalidValueError) as caught:
        Sku(raw)

    assert (caught.value.field, caught.value.message) == ("sku", message)


@pytest.mark.parametrize("value", [1, 7, 10_000])
def test_a_quantity_from_one_to_ten_thousand_is_accepted(value):
    assert Quantity(value).value == value


@pytest.mark.parametrize("value", [0, -1, 10_001, True, 1.5, "3"])
def test_any_other_quantity_is_refused(value):
    with pytest.raises(InvalidValueError) as caught:
        Quantity(value)

    assert caught.value.field == "quantity"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("12.3"), "eur", Money(Decimal("12.30"), "EUR")),
        (Decimal("12.30"), "EUR", Money(Decimal("12.30"), "EUR")),
        (Decimal("12.300"), "EUR", Money(Decimal("12.30"), "EUR")),
        (Decimal("500"), "JPY", Money(Decimal("500"), "JPY")),
        (Decimal("1.234"), "KWD", Money(Decimal("1.234"), "KWD")),
        (3, "USD", Money(Decimal("3.00"), "USD")),
    ],
)
def test_a_unit_price_within_the_currency_precision_is_accepted(amount, currency, expected):
    assert unit_price(amount, currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (Decimal("12.345"), "EUR", "A EUR price has at most 2 decimal places."),
        (Decimal("0.5"), "JPY", "A JPY price has at most 0 decimal places."),
        (Decimal("0"), "EUR", "A unit price must be greater than zero."),
        (Decimal("-1.00"), "EUR", "A unit price must be greater than zero."),
        (Decimal("NaN"), "EUR", "A unit price must be a decimal number."),
        (Decimal("Infinity"), "EUR", "A unit price must be a decimal number."),
        (Decimal("1" * 19), "EUR", "An amount has at most 18 digits."),
    ],
)
def test_an_invalid_unit_price_is_refused_never_rounded(amount, currency, message):
    with pytest.raises(InvalidValueError) as caught:
        unit_price(amount, currency)

    assert (caught.value.field, caught.value.message) == ("unit_price", message)


def test_a_unit_price_in_an_unknown_currency_is_refused_naming_the_currency():
    with pytest.raises(InvalidValueError) as caught:
        unit_price(Decimal("1.00"), "EURO")

    assert caught.value.field == "currency"


def test_an_order_line_totals_quantity_times_unit_price():
    line = OrderLine(sku=Sku("A"), quantity=Quantity(3), unit_price=Money(Decimal("2.35"), "EUR"))

    assert line.line_total == Money(Decimal("7.05"), "EUR")
    assert line.currency == "EUR"


def test_an_order_line_with_a_price_that_is_not_positive_cannot_exist():
    with pytest.raises(InvalidValueError) as caught:
        OrderLine(sku=Sku("A"), quantity=Quantity(1), unit_price=Money(Decimal("0"), "EUR"))

    assert caught.value.field == "unit_price"
