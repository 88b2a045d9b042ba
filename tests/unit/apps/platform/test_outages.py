"""Which dependency an error is the outage of, how it is answered (503), and how often it is logged."""

import logging
import sqlite3

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.test import RequestFactory
from django_redis.exceptions import ConnectionInterrupted
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.request import Request
from structlog.testing import capture_logs

from apps.observability.logging import SkipServiceUnavailable
from apps.platform import outages
from apps.platform.problems import exception_handler


def raised_from(error: BaseException, cause: BaseException) -> BaseException:
    try:
        raise error from cause
    except BaseException as raised:
        return raised


def raised_while_handling(error: BaseException, handled: BaseException) -> BaseException:
    try:
        try:
            raise handled
        except BaseException:
            raise error  # noqa: B904 - the implicit chain (__context__) is what is tested
    except BaseException as raised:
        return raised


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (OperationalError("connection refused"), "database"),
        (InterfaceError("connection already closed"), "database"),
        (RedisConnectionError("Error 111 connecting"), "redis"),
        (RedisTimeoutError("Timeout reading from socket"), "redis"),
        (ConnectionInterrupted(connection=None), "redis"),
        (BrokerOperationalError("[Errno 111] Connection refused"), "broker"),
        (raised_from(RuntimeError("wrapped"), OperationalError("gone")), "database"),
        (raised_while_handling(RuntimeError("cleanup failed"), RedisConnectionError("Error 111")), "redis"),
    ],
)
def test_an_unreachable_dependency_is_named(error, dependency):
    assert outages.dependency_of(error) == dependency


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("duplicate key"),  # the request's fault, or a race: not an outage
        DatabaseError("syntax error"),
        ResponseError("WRONGTYPE"),
        RuntimeError("a bug"),
        raised_from(RuntimeError("handled"), ValueError("unrelated")),
    ],
)
def test_other_errors_are_no_outage(error):
    assert outages.dependency_of(error) is None


def sqlite_error(*, database: str, sql: str = "SELECT 1") -> sqlite3.Error:
    try:
        sqlite3.connect(database).execute(sql)
    except sqlite3.Error as error:
        return error
    raise AssertionError("the statement did not fail")


@pytest.mark.parametrize(
    ("driver_error", "outage"),
    [
        (psycopg.OperationalError("connection failed: Connection refused"), True),  # no statement was answered
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
        (psycopg.errors.TooManyConnections("sorry, too many clients already"), True),
        (psycopg.errors.ConnectionFailure("connection failure"), True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), False),
        (psycopg.errors.SerializationFailure("could not serialize access"), False),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (psycopg.errors.LockNotAvailable("could not obtain lock on row"), False),
        (sqlite_error(database="/nonexistent/folder/orderflow.sqlite3"), True),
        (sqlite_error(database=":memory:", sql="SELECT * FROM no_such_table"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_only_a_database_that_cannot_be_reached_is_an_outage_not_one_failed_statement(driver_error, outage):
    error = raised_from(OperationalError(str(driver_error)), driver_error)  # as Django wraps the driver's error

    assert outages.dependency_of(error) == ("database" if outage else None)


def test_the_detail_names_the_dependency_and_nothing_about_where_it_lives():
    assert outages.detail("database") == "The database is unavailable; try again in a few seconds."
    assert outages.detail("redis") == "The cache (Redis) is unavailable; try again in a few seconds."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_warning_per_dependency_per_interval_counting_the_failures_held_back():
    clock = Clock()
    reporter = outages.Reporter(interval=5.0, clock=clock)

    with capture_logs() as logs:
        logged = [reporter.report("database", OperationalError("refused"))]
        for second in (1, 2, 3, 4.9):
            clock.now = 1000 + second
            logged.append(reporter.report("database", OperationalError("refused")))
        logged.append(reporter.report("redis", RedisConnectionError("refused")))
        clock.now = 1006.5
        logged.append(reporter.report("database", OperationalError("refused")))

    assert logged == [True, False, False, False, False, True, True]
    assert [(log["dependency"], log["failures_not_logged"], log["over_seconds"]) for log in logs] == [
        ("database", 0, None),
        ("redis", 0, None),
        ("database", 4, 6.5),
    ]
    assert {log["log_level"] for log in logs} == {"warning"}


def test_the_reason_is_one_line_for_operators():
    with capture_logs() as logs:
        outages.Reporter().report(
            "database", OperationalError('connection to server at "db", port 5432 failed:\n  refused')
        )

    assert logs[0]["reason"] == 'connection to server at "db", port 5432 failed: refused'
    assert logs[0]["error"] == "OperationalError"


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (RedisConnectionError("Error 111 connecting to 10.0.0.5:6379."), "The cache (Redis) is unavailable"),
        (BrokerOperationalError("[Errno 111] Connection refused"), "The message broker is unavailable"),
    ],
)
def test_an_api_view_failing_on_an_outage_answers_503_with_retry_after(error, detail, monkeypatch):
    monkeypatch.setattr(outages, "_reporter", outages.Reporter())
    request = Request(RequestFactory().get("/api/v1/users/me"))

    response = exception_handler(error, {"request": request})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.data["type"] == "urn:orderflow:problem:service-unavailable"
    assert response.data["detail"].startswith(detail)
    assert "10.0.0.5" not in str(response.data)


@pytest.mark.parametrize(("status", "kept"), [(503, False), (500, True), (502, True)])
def test_django_s_error_line_for_a_503_is_left_to_the_outage_reports(status, kept):
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Service Unavailable", (), None)
    record.status_code = status

    assert SkipServiceUnavailable().filter(record) is kept
