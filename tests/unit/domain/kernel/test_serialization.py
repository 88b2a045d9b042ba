import enum
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.kernel.serialization import from_primitive, to_primitive


class Status(enum.Enum):
    OPEN = "open"
    PAID = "paid"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Order:
    id: UUID
    status: Status
    priority: Priority
    lines: tuple[Line, ...]
    placed_at: datetime
    due: date
    tags: frozenset[str]
    notes: list[str]
    coordinates: tuple[float, float]
    attributes: dict[str, int]
    metadata: dict[str, Any]
    paid_at: datetime | None = None
    discount: Decimal | None = None
    internal: str = field(default="kept", init=False)


ORDER = Order(
    id=UUID("12345678-1234-5678-1234-567812345678"),
    status=Status.PAID,
    priority=Priority.HIGH,
    lines=(Line("apple", 2, Decimal("0.10")), Line("pear", 1, Decimal("1E+2"))),
    placed_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    due=date(2026, 2, 1),
    tags=frozenset({"gift", "rush"}),
    notes=["leave at door"],
    coordinates=(52.5, 13.25),
    attributes={"weight": 3},
    metadata={"nested": {"list": [1, "two", None, True]}},
    paid_at=None,
    discount=Decimal("0.30"),
)


def test_to_primitive_gives_json_safe_values():
    primitive = to_primitive(ORDER)
    tags = primitive.pop("tags")

    assert sorted(tags) == ["gift", "rush"]
    assert primitive == {
        "id": "12345678-1234-5678-1234-567812345678",
        "status": "paid",
        "priority": 2,
        "lines": [
            {"sku": "apple", "quantity": 2, "price": "0.10"},
            {"sku": "pear", "quantity": 1, "price": "1E+2"},
        ],
        "placed_at": "2026-01-02T03:04:05.678901+05:30",
        "due": "2026-02-01",
        "notes": ["leave at door"],
        "coordinates": [52.5, 13.25],
        "attributes": {"weight": 3},
        "metadata": {"nested": {"list": [1, "two", None, True]}},
        "paid_at": None,
        "discount": "0.30",
    }
    assert json.loads(json.dumps(primitive)) == primitive


def test_round_trip_through_json_rebuilds_an_equal_object_with_the_right_types():
    rebuilt = from_primitive(Order, json.loads(json.dumps(to_primitive(ORDER))))

    assert rebuilt == ORDER
    assert isinstance(rebuilt.lines, tuple)
    assert isinstance(rebuilt.tags, frozenset)
    assert isinstance(rebuilt.lines[0].price, Decimal)
    assert str(rebuilt.lines[0].price) == "0.10"  # no float rounding, exponent kept
    assert rebuilt.priority is Priority.HIGH
    assert rebuilt.placed_at.utcoffset() == timedelta(hours=5, minutes=30)


def test_optional_fields_round_trip_when_set():
    order = Order(
        id=ORDER.id,
        status=ORDER.status,
        priority=ORDER.priority,
        lines=(),
        placed_at=ORDER.placed_at,
        due=ORDER.due,
        tags=frozenset(),
        notes=[],
        coordinates=(0.0, 0.0),
        attributes={},
        metadata={},
        paid_at=datetime(2026, 1, 3, tzinfo=UTC),
        discount=None,
    )

    assert from_primitive(Order, to_primitive(order)) == order


def test_whole_numbers_are_accepted_for_float_fields():
    @dataclass(frozen=True)
    class Point:
        x: float

    rebuilt = from_primitive(Point, {"x": 3})

    assert rebuilt.x == 3.0
    assert isinstance(rebuilt.x, float)


def test_missing_fields_with_defaults_take_the_default():
    @dataclass(frozen=True)
    class Page:
        number: int
        size: int = 20

    assert from_primitive(Page, {"number": 2}) == Page(2, 20)


@pytest.mark.parametrize(
    ("cls_field", "value"),
    [
        (int, "3"),
        (int, True),
        (bool, 1),
        (str, 5),
        (UUID, 123),
        (list[int], {"a": 1}),
        (dict[str, int], [1]),
        (tuple[int, int], [1, 2, 3]),
    ],
)
def test_data_of_the_wrong_shape_is_refused(cls_field: Any, value: Any):
    @dataclass(frozen=True)
    class Box:
        content: cls_field  # type: ignore[valid-type]

    with pytest.raises((TypeError, ValueError)):
        from_primitive(Box, {"content": value})


def test_a_missing_required_field_is_refused():
    with pytest.raises(TypeError):
        from_primitive(Line, {"sku": "apple", "quantity": 1})


def test_a_value_that_fits_no_member_of_a_union_is_refused():
    @dataclass(frozen=True)
    class Maybe:
        at: datetime | None

    with pytest.raises(ValueError, match="fits none"):
        from_primitive(Maybe, {"at": "yesterday"})


def test_unknown_enum_values_are_refused():
    @dataclass(frozen=True)
    class Tagged:
        status: Status

    with pytest.raises(ValueError, match="lost"):
        from_primitive(Tagged, {"status": "lost"})


def test_values_without_a_json_form_cannot_be_serialised():
    with pytest.raises(TypeError, match="cannot serialise"):
        to_primitive({"when": timedelta(seconds=1)})
