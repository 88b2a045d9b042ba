"""Round-trip checks: a value survives the JSON of the outbox and the broker (Property 17); an aggregate
survives its rows (Property 6)."""

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


def assert_loaded_as_it_was(rebuilt: Any, expected_state: dict[str, Any], state: Any, version: int) -> None:
    """``rebuilt`` (read back from rows) holds ``expected_state`` by ``state``, as a freshly loaded aggregate:
    no pending events, loaded at ``version``."""
    assert state(rebuilt) == expected_state
    assert rebuilt.pending_events == ()
    assert rebuilt.loaded_version == version
