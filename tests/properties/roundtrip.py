"""The check of Property 17: a value survives the JSON round trip of the outbox and the broker."""

from __future__ import annotations

import json
from typing import Any

from domain.kernel.serialization import from_primitive, to_primitive


def assert_survives_json(value: Any) -> None:
    """to_primitive -> json.dumps -> json.loads -> from_primitive gives a value of the same type, equal to it."""
    rebuilt = from_primitive(type(value), json.loads(json.dumps(to_primitive(value))))

    assert type(rebuilt) is type(value)
    assert rebuilt == value
    assert to_primitive(rebuilt) == to_primitive(value)
