import re

import pytest
import structlog

from apps.observability.correlation import HEADER, accept_or_generate, current

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("candidate", ["a", "req-123", "A.b_c-D", "0" * 128, "4bf92f3577b34da6a3ce929d0e0e4736"])
def test_a_safe_request_id_is_kept(candidate):
    assert accept_or_generate(candidate) == candidate


@pytest.mark.parametrize(
    "candidate",
    [
        None,
        "",
        "x" * 129,
        "has space",
        "new\nline",
        "trailing-newline\n",
        "slash/es",
        'quote"d',
        "ünïcode",
        "١٢٣",  # non-ASCII digits
        "<script>",
        "a;b",
    ],
)
def test_anything_else_is_replaced_by_a_fresh_id(candidate):
    replaced = accept_or_generate(candidate)

    assert replaced != candidate
    assert GENERATED.fullmatch(replaced)


def test_fresh_ids_differ_each_time():
    assert len({accept_or_generate(None) for _ in range(20)}) == 20


def test_the_header_is_x_request_id():
    assert HEADER == "X-Request-ID"


def test_current_is_the_correlation_id_bound_to_the_context():
    assert current() is None
    with structlog.contextvars.bound_contextvars(correlation_id="req-7"):
        assert current() == "req-7"
    assert current() is None
