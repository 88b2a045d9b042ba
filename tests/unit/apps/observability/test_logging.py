import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from apps.observability.logging import formatter, logging_config

LOGGER = "tests.unit.observability"


def capture(fmt: str) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(fmt))
    logger = logging.getLogger(f"{LOGGER}.{fmt}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream, handler


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    logger, stream, handler = capture("json")
    yield logger, stream
    logger.removeHandler(handler)


def test_a_stdlib_record_becomes_one_json_line_with_the_standard_keys(json_log):
    logger, stream = json_log

    logger.info("order %s placed", "o-1")

    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "order o-1 placed"
    assert record["level"] == "info"
    assert record["logger"] == f"{LOGGER}.json"
    assert record["timestamp"].endswith("Z")


def test_context_variables_and_extra_fields_are_merged_into_the_line(json_log):
    logger, stream = json_log

    with structlog.contextvars.bound_contextvars(correlation_id="req-1", path="/api/v1/users"):
        logger.warning("slow", extra={"duration_ms": 812})

    record = json.loads(stream.getvalue())
    assert record["correlation_id"] == "req-1"
    assert record["path"] == "/api/v1/users"
    assert record["duration_ms"] == 812


def test_nothing_stays_bound_after_the_context_ends(json_log):
    logger, stream = json_log
    with structlog.contextvars.bound_contextvars(correlation_id="req-1"):
        pass

    logger.info("later")

    assert "correlation_id" not in json.loads(stream.getvalue())


def test_exceptions_are_rendered_inside_the_json_line(json_log):
    logger, stream = json_log

    try:
        raise RuntimeError("database down")
    except RuntimeError:
        logger.exception("request failed")

    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "error"
    assert "RuntimeError: database down" in record["exception"]


def test_the_console_format_is_readable_text_not_json():
    logger, stream, handler = capture("console")
    try:
        logger.info("hello there")
    finally:
        logger.removeHandler(handler)

    output = stream.getvalue()
    assert "hello there" in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(output)


def test_logging_config_routes_everything_through_the_structured_formatter():
    config = logging_config(level="WARNING", fmt="console")

    assert config["formatters"]["structured"] == {"()": formatter, "fmt": "console"}
    assert config["handlers"]["stdout"]["formatter"] == "structured"
    assert config["root"] == {"handlers": ["stdout"], "level": "WARNING"}
    assert config["disable_existing_loggers"] is False
    assert config["loggers"]["django.request"]["level"] == "ERROR"
