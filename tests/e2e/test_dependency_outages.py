"""A database or Redis that cannot be reached: 503 with Retry-After, never 500, one warning now and then, and
back to normal with the first request after it answers again.

The outages are real (``tests.support.outages``): the connection points at a closed port or at a file that
cannot be opened, and the drivers fail as they would in production.
"""

import logging
import time

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from apps.platform import outages
from tests.support.accounts import staff_row
from tests.support.http import assert_problem
from tests.support.outages import database_unreachable, redis_unreachable

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"
ORDER = {"currency": "EUR", "items": [{"sku": "book-123", "quantity": 1, "unit_price": "5.00"}]}
DATABASE_DETAIL = "The database is unavailable; try again in a few seconds."
# What must never reach a client: the driver's message, where the database lives, a traceback.
LEAKS = ("OperationalError", "unable to open", "nonexistent", "127.0.0.1", "Traceback", "connection")
EAGER_USER = [
    *settings.MIDDLEWARE[: settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1],
    "tests.e2e.eager_user.EagerUserMiddleware",
    *settings.MIDDLEWARE[settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1 :],
]


@pytest.fixture(autouse=True)
def fresh_reporter(monkeypatch):
    """Each test starts with no outage reported yet in this process."""
    monkeypatch.setattr(outages, "_reporter", outages.Reporter())


@pytest.fixture
def quiet_client():
    """A client that answers what the server answered instead of re-raising what it logged."""
    return APIClient(raise_request_exception=False)


@pytest.fixture
def admin_client(quiet_client):
    quiet_client.force_login(staff_row("boss@example.com", "Boss", superuser=True))
    return quiet_client


def assert_unavailable(response, detail=DATABASE_DETAIL):
    body = assert_problem(response, 503, "service-unavailable")
    assert body["detail"] == detail
    assert response["Retry-After"] == "5"
    for leak in LEAKS:
        assert leak not in response.content.decode()
    return body


def test_a_read_with_the_database_unreachable_is_503_with_retry_after(api, ann):
    with database_unreachable():
        response = api.get(ME, **ann["auth"])

    assert_unavailable(response)


def test_a_write_with_the_database_unreachable_is_503_and_the_first_request_after_it_succeeds(api, ann):
    with database_unreachable():
        during = api.post("/api/v2/orders", ORDER, format="json", **ann["auth"])
    after = api.post("/api/v2/orders", ORDER, format="json", **ann["auth"])

    assert_unavailable(during)
    assert after.status_code == 201, after.content


def test_sign_in_and_sign_up_with_the_database_unreachable_are_503(api):
    with database_unreachable():
        token = api.post("/api/v1/auth/token", {"email": "ann@example.com", "password": "x" * 12}, format="json")
        signup = api.post(
            "/api/v1/auth/register",
            {"email": "new@example.com", "password": "long enough password", "display_name": "New"},
            format="json",
        )

    assert_unavailable(token)
    assert_unavailable(signup)


def test_the_admin_with_the_database_unreachable_is_a_plain_503_page(admin_client):
    with database_unreachable():
        response = admin_client.get("/admin/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "5"
    assert "Service Unavailable" in response.content.decode()
    assert DATABASE_DETAIL in response.content.decode()
    assert admin_client.get("/admin/").status_code == 200


@pytest.mark.parametrize("path", [ME, "/admin/"])
def test_a_database_outage_met_in_a_middleware_is_503_too(admin_client, path):
    with override_settings(MIDDLEWARE=EAGER_USER), database_unreachable():
        response = admin_client.get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    if path.startswith("/api/"):
        assert_unavailable(response)
    else:
        assert DATABASE_DETAIL in response.content.decode()


def test_redis_unreachable_on_sign_in_is_503_naming_the_rate_limit_store(api):
    with redis_unreachable():
        response = api.post("/api/v1/auth/token", {"email": "ann@example.com", "password": "x" * 12}, format="json")

    assert_unavailable(response, "The rate-limit store (Redis) cannot be reached; try again in a few seconds.")


def test_an_outage_is_one_warning_for_many_requests_and_no_error(api, ann, caplog):
    caplog.set_level(logging.WARNING)

    with database_unreachable():
        statuses = [api.get(ME, **ann["auth"]).status_code for _ in range(20)]
        writes = [api.post("/api/v2/orders", ORDER, format="json", **ann["auth"]).status_code for _ in range(5)]

    assert statuses == [503] * 20
    assert writes == [503] * 5
    warnings = [record for record in caplog.records if record.name == outages.__name__]
    assert len(warnings) == 1
    assert warnings[0].msg["event"] == "dependency unavailable"
    assert warnings[0].msg["dependency"] == "database"
    assert warnings[0].msg["failures_not_logged"] == 0
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_the_warning_comes_back_with_the_count_of_failures_it_held_back(api, ann, caplog, monkeypatch):
    clock = iter([100.0, 101.0, 102.0, 106.0])
    monkeypatch.setattr(outages, "_reporter", outages.Reporter(clock=lambda: next(clock)))
    caplog.set_level(logging.WARNING)

    with database_unreachable():
        for _ in range(4):
            api.get(ME, **ann["auth"])

    warnings = [record.msg for record in caplog.records if record.name == outages.__name__]
    assert [(w["dependency"], w["failures_not_logged"], w["over_seconds"]) for w in warnings] == [
        ("database", 0, None),
        ("database", 2, 6.0),
    ]


def test_liveness_answers_at_once_with_every_dependency_down(client):
    with database_unreachable(), redis_unreachable():
        started = time.perf_counter()
        response = client.get("/health/live")
        elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert elapsed < 0.05
