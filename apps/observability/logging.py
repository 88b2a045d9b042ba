"""JSON log lines for everything: our structlog loggers and the stdlib ones of Django and Celery.

Every line carries ``timestamp``, ``level``, ``logger`` and ``event``, plus
whatever is bound to the current context (``correlation_id`` above all) and, with
tracing on, the ``trace_id`` and ``span_id`` of the current span.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

from apps.observability import tracing


def add_trace_ids(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """``trace_id`` and ``span_id`` of the current span, when one is recorded (tracing on)."""
    ids = tracing.current_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    add_trace_ids,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
]


def renderer(fmt: str) -> Any:
    if fmt == "console":
        return structlog.dev.ConsoleRenderer(colors=False)
    return structlog.processors.JSONRenderer()


def formatter(fmt: str = "json") -> structlog.stdlib.ProcessorFormatter:
    """The formatter that renders every stdlib record as one JSON (or console) line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer(fmt),
        ],
    )


class SkipServiceUnavailable(logging.Filter):
    """Drops Django's error line for a 503 answer: a dependency outage, which ``apps.platform.outages``
    reports itself, once every few seconds, instead of one error per request."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 503


def logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """A ``LOGGING`` dict for Django's dictConfig."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": formatter, "fmt": fmt}},
        "filters": {"skip_service_unavailable": {"()": SkipServiceUnavailable}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Our access log (one JSON line per request) replaces runserver's and Django's request lines.
            "django.server": {"handlers": [], "level": "ERROR", "propagate": True},
            "django.request": {
                "handlers": [],
                "level": "ERROR",
                "propagate": True,
                "filters": ["skip_service_unavailable"],
            },
        },
    }


def configure_structlog() -> None:
    """Route structlog loggers through the stdlib handlers configured by ``LOGGING``."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
