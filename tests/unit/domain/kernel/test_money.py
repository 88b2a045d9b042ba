from decimal import Decimal

import pytest

from domain.kernel.errors import InvalidValueError
from domain.kernel.money import CurrencyMismatchError, Money, currency_code, minor_unit


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("12.3", "EUR", Decimal("12.30")),
        ("12.345", "EUR", Decimal("12.34")),  # half-even: the banker's rounding of a tie
        ("12.355", "EUR", Decimal("12.36")),
        ("100", "JPY", Decimal("100")),
        ("1.2345", "KWD", Decimal("1.234")),
        (7, "usd", Decimal("7.00")),
        (Decimal("-0.001"), "EUR", Decimal("0.00")),
    ],
)
def test_an_amount_is_kept_to_its_currencys_minor_unit(amount, currency, expected):
    money = Money(amount, currency)

    assert money.amount == expected
    assert str(money.amount) == str(expected)
    assert money.currency == currency.upper()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (1.1, "An amount must be a decimal number, not a float."),
        (True, "An amount must be a decimal number, not a float."),
        ("ten", "'ten' is not a decimal amount."),
        (Decimal("NaN"), "Decimal('NaN') is not a decimal amount."),
        (Decimal("Infinity"), "Decimal('Infinity') is not a decimal amount."),
        ("1" * 19, "An amount has at most 18 digits."),
        ("1e400", "An amount has at most 18 digits."),
        (Decimal("1e1000000"), "An amount has at most 18 digits."),
    ],
)
def test_an_amount_that_is_not_a_finite_decimal_is_refused(amount, message):
    with pytest.raises(InvalidValueError) as raised:
        Money(amount, "EUR")

    assert (raised.value.field, raised.value.message) == ("amount", message)


@pytest.mark.parametrize("code", ["", "EURO", "XXX", "eu", "123"])
def test_a_currency_must_be_an_iso_4217_code(code):
    with pytest.raises(InvalidValueError) as raised:
        currency_code(code)

    assert raised.value.field == "currency"


def test_arithmetic_stays_in_one_currency():
    price = Money("2.50", "EUR")

    assert price + Money("1.25", "EUR") == Money("3.75", "EUR")
    assert price - Money("3", "EUR") == Money("-0.50", "EUR")
    assert 3 * price == price * 3 == Money("7.50", "EUR")
    assert Money.zero("EUR") < price <= Money("2.50", "EUR")
    with pytest.raises(CurrencyMismatchError, match="Cannot combine EUR with USD"):
        price + Money("1", "USD")
    with pytest.raises(CurrencyMismatchError):
        _ = price < Money("1", "USD")


def test_minor_units_are_what_payment_providers_count():
    assert Money("12.30", "EUR").minor_units == 1230
    assert Money("500", "JPY").minor_units == 500
    assert Money("1.005", "BHD").minor_units == 1005
    assert Money.from_minor_units(1230, "eur") == Money("12.30", "EUR")
    assert [minor_unit(code) for code in ("JPY", "EUR", "KWD")] == [0, 2, 3]


def test_the_primitive_form_keeps_every_digit_as_a_string():
    money = Money("1234567890123456.78", "EUR")

    assert money.to_primitive() == {"amount": "1234567890123456.78", "currency": "EUR"}
    assert Money.from_primitive(money.to_primitive()) == money
