"""Event-type filters: their syntax, normalisation, limits and matching."""

import pytest

from domain.kernel.errors import InvalidValueError
from domain.webhooks.filters import EventTypeFilters, matches


def test_filters_are_trimmed_deduplicated_and_sorted():
    filters = EventTypeFilters([" orders.order_placed", "billing.*", "orders.order_placed ", "billing.*"])

    assert filters.patterns == ("billing.*", "orders.order_placed")
    assert list(filters) == ["billing.*", "orders.order_placed"]
    assert filters == EventTypeFilters(["orders.order_placed", "billing.*"])


def test_a_filter_made_redundant_by_a_wildcard_is_kept():
    assert EventTypeFilters(["orders.*", "orders.order_paid"]).patterns == ("orders.*", "orders.order_paid")


@pytest.mark.parametrize(
    "pattern",
    ["orders", "orders.", ".order_placed", "Orders.order_placed", "orders.order-placed", "orders.order.placed",
     "*.order_placed", "*", "orders.*.x", "orders.order_placed*", "orders1.x", ""],
)  # fmt: skip
def test_a_filter_that_is_neither_an_event_type_nor_a_context_wildcard_is_refused(pattern):
    with pytest.raises(InvalidValueError) as raised:
        EventTypeFilters([pattern])
    assert raised.value.field == "event_types"


def test_at_least_one_filter_is_needed():
    with pytest.raises(InvalidValueError, match="at least one"):
        EventTypeFilters([])


def test_at_most_fifty_distinct_filters_are_kept():
    names = [f"orders.event_{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(51)]

    assert len(EventTypeFilters(names[:50]).patterns) == 50
    assert len(EventTypeFilters([*names[:50], *names[:50]]).patterns) == 50
    with pytest.raises(InvalidValueError, match="at most 50"):
        EventTypeFilters(names)


@pytest.mark.parametrize("value", ["orders.*", ("orders.*", 3)])
def test_a_bare_string_or_a_non_string_filter_is_refused(value):
    with pytest.raises(InvalidValueError):
        EventTypeFilters(value)


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("orders.order_placed", "orders.order_placed", True),
        ("orders.order_placed", "orders.order_paid", False),
        ("orders.*", "orders.order_paid", True),
        ("orders.*", "billing.invoice_issued", False),
        ("orders.*", "orders_archive.order_paid", False),
        ("order.*", "orders.order_paid", False),
    ],
)
def test_a_filter_matches_its_exact_event_type_or_every_event_of_its_context(pattern, event_type, expected):
    assert matches(pattern, event_type) is expected
    assert EventTypeFilters([pattern]).wants(event_type) is expected


def test_unmatched_names_the_filters_that_match_nothing_in_a_catalogue():
    catalogue = ["orders.order_placed", "orders.order_paid", "billing.invoice_issued"]
    filters = EventTypeFilters(["orders.*", "billing.invoice_issued", "billing.invoice_isued", "shipping.*"])

    assert filters.unmatched(catalogue) == ("billing.invoice_isued", "shipping.*")
