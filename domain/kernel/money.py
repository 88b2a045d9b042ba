"""Money: a decimal amount in one ISO 4217 currency, kept to that currency's minor unit.

Shared by the orders and billing contexts (a shared-kernel value object): an
order's total becomes its invoice's amount, and both must mean the same thing.
Amounts are ``Decimal``, never float; arithmetic between two currencies raises
``CurrencyMismatchError`` instead of producing a meaningless sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, DecimalException, InvalidOperation
from typing import ClassVar

from domain.kernel.errors import InvalidValueError
from domain.kernel.value_object import ValueObject

#: Active ISO 4217 codes whose minor unit is not two digits (the default).
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF"), 0),
    **dict.fromkeys(("UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4,
    "UYW": 4,
}

#: Active ISO 4217 currency codes (funds and precious-metal codes left out).
# fmt: off
CURRENCIES: frozenset[str] = frozenset(
    {
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
        "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
        "CLF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN",
        "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL",
        "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR",
        "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL",
        "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN",
        "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
        "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP",
        "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
        "UGX", "USD", "UYU", "UYW", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER",
        "ZAR", "ZMW", "ZWG",
    }
)
# fmt: on


class CurrencyMismatchError(InvalidValueError):
    """Two amounts in different currencies were combined."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__("currency", f"Cannot combine {left} with {right}: amounts must be in one currency.")


def currency_code(value: str) -> str:
    """``value`` as an upper-case ISO 4217 code; InvalidValueError when it is not one."""
    code = str(value).strip().upper()
    if code not in CURRENCIES:
        raise InvalidValueError("currency", f"{value!r} is not an ISO 4217 currency code.")
    return code


@dataclass(frozen=True, slots=True)
class Money(ValueObject):
    """``amount`` in ``currency``, quantised to its minor unit (half-even) on construction.

    Accepts a ``Decimal``, an ``int`` or a decimal string for the amount; a float is
    refused, because its binary value is rarely the amount meant.
    """

    amount: Decimal
    currency: str

    MAX_DIGITS: ClassVar[int] = 18

    def __post_init__(self) -> None:
        currency = currency_code(self.currency)
        raw: object = self.amount
        if isinstance(raw, float | bool):
            raise InvalidValueError("amount", "An amount must be a decimal number, not a float.")
        try:
            amount = Decimal(raw) if isinstance(raw, int | str) else raw
            if not isinstance(amount, Decimal) or not amount.is_finite():
                raise InvalidOperation
        except DecimalException:
            raise InvalidValueError("amount", f"{self.amount!r} is not a decimal amount.") from None
        try:
            quantised = amount.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_EVEN)
        except DecimalException:  # more digits than a decimal context holds (1e400)
            raise InvalidValueError("amount", f"An amount has at most {self.MAX_DIGITS} digits.") from None
        if len(quantised.as_tuple().digits) > self.MAX_DIGITS:
            raise InvalidValueError("amount", f"An amount has at most {self.MAX_DIGITS} digits.")
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", quantised + 0)  # + 0 turns -0.00 into 0.00

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    @property
    def minor_units(self) -> int:
        """The amount in the currency's ISO 4217 minor unit (cents for EUR).

        Payment providers mostly count the same way, not always: Stripe's adapter has its own table.
        """
        return int(self.amount.scaleb(minor_unit(self.currency)))

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Money:
        code = currency_code(currency)
        return cls(Decimal(units).scaleb(-minor_unit(code)), code)

    def to_primitive(self) -> dict[str, str]:
        """``{"amount": "12.30", "currency": "EUR"}``: a string amount, so no JSON reader loses a digit."""
        return {"amount": str(self.amount), "currency": self.currency}

    @classmethod
    def from_primitive(cls, data: dict[str, str]) -> Money:
        return cls(Decimal(data["amount"]), data["currency"])

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency)


def minor_unit(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (2 unless ISO 4217 says otherwise)."""
    return MINOR_UNITS.get(currency, 2)
