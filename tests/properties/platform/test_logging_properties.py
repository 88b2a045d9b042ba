"""Property 2: every log line is one JSON object carrying the correlation id of its context."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from apps.observability.correlation import accept_or_generate
from apps.observability.logging import configure_structlog, formatter

LOGGER_NAME = "tests.properties.logging"

messages = st.text()
# Whatever arrives in X-Request-ID: well-formed ids, and anything else (which is replaced).
request_id_headers = st.none() | st.from_regex(r"[A-Za-z0-9._-]{1,128}", fullmatch=True) | st.text()


@pytest.fixture(scope="module")
def captured() -> Iterator[io.StringIO]:
    """The JSON lines written by LOGGER_NAME, through the production formatter."""
    configure_structlog()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger = logging.getLogger(LOGGER_NAME)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield stream
    logger.handlers[:], level, logger.propagate = saved
    logger.setLevel(level)


def last_line(stream: io.StringIO) -> dict[str, object]:
    lines = stream.getvalue().splitlines()
    assert lines, "nothing was logged"
    stream.seek(0)
    stream.truncate()
    parsed = json.loads(lines[-1])
    assert isinstance(parsed, dict)
    return parsed


# **Feature: architecture-restructuring-2025, Property 2: Structured JSON Logging with Correlation ID**
# **Validates: Requirements 1.2**
@given(header=request_id_headers, message=messages)
def test_stdlib_log_records_render_as_json_with_the_bound_correlation_id(
    captured: io.StringIO, header: str | None, message: str
) -> None:
    """For any message logged through a stdlib logger (Django's, Celery's) while a correlation id is
    bound, the line is valid JSON whose correlation_id is exactly the bound id and whose event is the message."""
    correlation_id = accept_or_generate(header)

    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
        logging.getLogger(LOGGER_NAME).warning(message)

    line = last_line(captured)
    assert line["correlation_id"] == correlation_id
    assert line["event"] == message
    assert line["level"] == "warning"
    assert line["logger"] == LOGGER_NAME
    assert isinstance(line["timestamp"], str)


# **Feature: architecture-restructuring-2025, Property 2: Structured JSON Logging with Correlation ID**
# **Validates: Requirements 1.2**
@given(correlation_id=st.text(), message=messages, value=st.integers() | st.text())
def test_structlog_events_render_as_json_with_the_bound_correlation_id(
    captured: io.StringIO, correlation_id: str, message: str, value: int | str
) -> None:
    """For any event logged through our structlog loggers with any correlation id bound, the line is valid
    JSON whose correlation_id is exactly that id, with the event and its key-value pairs beside it."""
    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
        structlog.get_logger(LOGGER_NAME).info(message, detail=value)

    line = last_line(captured)
    assert line["correlation_id"] == correlation_id
    assert line["event"] == message
    assert line["detail"] == value
    assert line["level"] == "info"
