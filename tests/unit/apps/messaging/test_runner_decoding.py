"""The runner decodes message bodies itself (the standard library's JSON parser), before any batch is handled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from apps.messaging.consumers import EventConsumer
from apps.messaging.runner import ConsumerRunner


@dataclass
class FakeMessage:
    body: bytes | str
    content_type: str = "application/json"
    delivery_tag: int = 1
    settled: list[str] = field(default_factory=list)


@pytest.fixture
def runner(monkeypatch) -> tuple[ConsumerRunner, list[tuple[Any, str]]]:
    runner = ConsumerRunner([EventConsumer(name="things", binding_keys=("t.#",), handle=lambda item: None)], shards=1)
    undecodable: list[tuple[Any, str]] = []
    monkeypatch.setattr(
        runner, "handle_undecodable", lambda consumer, message, exc: undecodable.append((message, repr(exc)))
    )
    return runner, undecodable


def test_a_json_body_is_buffered_decoded_with_its_consumer(runner):
    runner, undecodable = runner
    on_message = runner._on_message(runner.consumers[0])

    on_message(FakeMessage(b'{"event_id": "e", "n": [1, 2.5, null, "\\u00e9"]}'))

    assert undecodable == []
    [(consumer, body, _)] = runner._buffer
    assert consumer is runner.consumers[0]
    assert body == {"event_id": "e", "n": [1, 2.5, None, "\u00e9"]}


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (b"{not json", "application/json", "JSONDecodeError"),
        (b"\xff\xfe\x00garbage", "application/json", "Error"),
        (b'{"event_id": "e"}', "text/plain", "ContentDisallowed"),
        (b'{"event_id": "e"}', "application/x-python-serialize", "ContentDisallowed"),
    ],
)
def test_a_body_that_is_not_json_is_handed_over_as_undecodable_and_never_buffered(runner, body, content_type, error):
    runner, undecodable = runner
    message = FakeMessage(body, content_type=content_type)

    runner._on_message(runner.consumers[0])(message)

    assert runner._buffer == []
    assert len(undecodable) == 1
    assert undecodable[0][0] is message
    assert error in undecodable[0][1]
