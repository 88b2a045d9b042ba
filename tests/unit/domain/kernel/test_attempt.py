import pytest

from domain.kernel.errors import BusinessRuleViolationError, InvalidValueError, ValidationError
from domain.kernel.money import Money
from domain.kernel.result import Err, Ok, attempt


def refuse(field: str, message: str) -> Money:
    raise InvalidValueError(field, message)


def test_a_value_that_builds_is_ok_with_that_value():
    result = attempt(lambda: Money("12.30", "EUR"))

    assert result == Ok(Money("12.30", "EUR"))


def test_a_refused_value_is_a_validation_error_naming_its_field():
    result = attempt(lambda: refuse("display_name", "Enter a display name."))

    assert isinstance(result, Err)
    assert type(result.error) is ValidationError
    assert result.error.message == "The request is not valid."
    assert result.error.errors == {"display_name": ["Enter a display name."]}


def test_the_error_is_the_one_for_field_makes():
    result = attempt(lambda: Money("1", "EURO"))

    assert result == Err(ValidationError.for_field("currency", "'EURO' is not an ISO 4217 currency code."))
    assert result.error.errors == {"currency": ["'EURO' is not an ISO 4217 currency code."]}


def test_the_message_can_name_what_is_not_valid():
    result = attempt(lambda: refuse("items", "An order needs at least one line."), message="The order is not valid.")

    assert isinstance(result, Err)
    assert result.error.message == "The order is not valid."
    assert result.error.errors == {"items": ["An order needs at least one line."]}


def test_a_subclass_of_invalid_value_error_is_a_validation_error_too():
    result = attempt(lambda: Money("1", "EUR") + Money("1", "USD"))

    assert isinstance(result, Err)
    assert type(result.error) is ValidationError
    assert result.error.errors == {"currency": ["Cannot combine EUR with USD: amounts must be in one currency."]}


def test_build_runs_once_and_only_when_attempted():
    calls = []

    def build() -> int:
        calls.append(1)
        return len(calls)

    assert attempt(build) == Ok(1)
    assert calls == [1]


@pytest.mark.parametrize("error", [BusinessRuleViolationError("no"), ValueError("not a value object"), KeyError("k")])
def test_other_exceptions_are_not_turned_into_results(error):
    def build() -> int:
        raise error

    with pytest.raises(type(error)):
        attempt(build)
