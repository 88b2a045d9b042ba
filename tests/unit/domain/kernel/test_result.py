import dataclasses

import pytest

from domain.kernel.errors import ValidationError
from domain.kernel.result import Err, Ok


def test_ok_carries_its_value_and_reports_success():
    result = Ok(42)

    assert result.value == 42
    assert result.is_ok is True


def test_err_carries_its_error_and_reports_failure():
    error = ValidationError("bad")
    result = Err(error)

    assert result.error is error
    assert result.is_ok is False


def test_results_compare_by_kind_and_content():
    assert Ok(1) == Ok(1)
    assert Ok(1) != Ok(2)
    assert Err("x") == Err("x")
    assert Ok("x") != Err("x")


def test_results_are_immutable():
    result = Ok(1)

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 2  # type: ignore[misc]


def test_results_can_be_told_apart_with_match():
    def describe(result: Ok[int] | Err[str]) -> str:
        match result:
            case Ok(value):
                return f"ok {value}"
            case Err(error):
                return f"err {error}"

    assert describe(Ok(3)) == "ok 3"
    assert describe(Err("no")) == "err no"
