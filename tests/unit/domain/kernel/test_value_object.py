import dataclasses

import pytest

from domain.kernel.errors import InvalidValueError
from domain.kernel.value_object import ValueObject


@dataclasses.dataclass(frozen=True, slots=True)
class Quantity(ValueObject):
    amount: int

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise InvalidValueError("amount", "A quantity is positive.")


def test_value_objects_are_equal_and_hash_alike_by_value():
    assert Quantity(3) == Quantity(3)
    assert hash(Quantity(3)) == hash(Quantity(3))
    assert Quantity(3) != Quantity(4)


def test_value_objects_cannot_change():
    quantity = Quantity(3)

    with pytest.raises(dataclasses.FrozenInstanceError):
        quantity.amount = 5  # type: ignore[misc]


def test_an_invalid_value_object_cannot_be_built():
    with pytest.raises(InvalidValueError) as raised:
        Quantity(0)

    assert raised.value.field == "amount"
