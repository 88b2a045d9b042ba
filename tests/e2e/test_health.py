"""The liveness and readiness probes, and `manage.py check_readiness` for the processes that serve no HTTP.

Failing checks meet real failures: a closed port, a server that never answers, a file that cannot be opened.
"""

import json
import time

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from apps.platform import readiness
from config.environment import PROCESS_ROLES
from tests.support.outages import closed_port, database_unreachable, redis_cache, redis_unreachable, silent_server

IN_PROCESS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def amqp(port: int) -> str:
    return f"amqp://guest:guest@127.0.0.1:{port}//"


def test_live_answers_without_touching_anything(client):
    # No django_db mark: a query on its path would fail this test.
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_checks_the_database_and_without_redis_nothing_else_for_the_api(client):
    with override_settings(CACHES=IN_PROCESS_CACHE):
        response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "role": "api", "checks": {"database": "ok"}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_is_503_and_names_the_database_when_it_cannot_be_reached(client):
    with database_unreachable():
        response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] == "failed: OperationalError"
    assert "nonexistent" not in response.content.decode()


@pytest.mark.django_db
def test_ready_checks_redis_when_it_is_the_cache_and_names_it_when_it_fails(client):
    with redis_unreachable():
        response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "failed: ConnectionError"}


@pytest.mark.django_db
def test_a_dispatcher_checks_the_events_broker_and_names_it_when_it_fails(client):
    port = closed_port()
    with override_settings(PROCESS_ROLE="dispatcher", EVENTS_BROKER_URL=amqp(port), EVENTS_TRANSPORT_OPTIONS={}):
        response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "role": "dispatcher",
        "checks": {"database": "ok", "events_broker": "failed: OperationalError"},
    }
    assert str(port) not in response.content.decode()


@pytest.mark.django_db
def test_a_worker_checks_both_brokers_and_redis_is_not_its_concern(client):
    with override_settings(PROCESS_ROLE="worker", CELERY_BROKER_URL=amqp(closed_port())), redis_unreachable():
        response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "celery_broker": "failed: OperationalError",
        "events_broker": "ok",  # the tests' in-memory transport
    }


@pytest.mark.django_db
def test_a_broker_that_accepts_connections_but_never_answers_fails_within_the_timeout(client):
    with silent_server() as port, override_settings(PROCESS_ROLE="consumer", EVENTS_BROKER_URL=amqp(port)):
        started = time.monotonic()
        response = client.get("/health/ready")
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["events_broker"].startswith("failed: ")
    assert elapsed < readiness.TIMEOUT + readiness.GRACE + 0.5


@pytest.mark.django_db
def test_checks_run_side_by_side_so_two_silent_dependencies_cost_one_timeout(client):
    with (
        silent_server() as port,
        override_settings(
            PROCESS_ROLE="worker", CELERY_BROKER_URL=amqp(port), EVENTS_BROKER_URL=amqp(port), CACHES=redis_cache(port)
        ),
    ):
        started = time.monotonic()
        response = client.get("/health/ready")
        elapsed = time.monotonic() - started

    checks = response.json()["checks"]
    assert checks["celery_broker"].startswith("failed: ")
    assert checks["events_broker"].startswith("failed: ")
    assert elapsed < readiness.TIMEOUT + readiness.GRACE + 0.5


def test_every_role_the_environment_accepts_has_its_checks():
    assert sorted(readiness.ROLES) == sorted(PROCESS_ROLES)
    assert all(checks[0] == "database" for checks in readiness.ROLES.values())


@pytest.mark.django_db
def test_check_readiness_prints_the_report_and_exits_1_naming_what_fails(capsys):
    with (
        override_settings(EVENTS_BROKER_URL=amqp(closed_port()), EVENTS_TRANSPORT_OPTIONS={}),
        pytest.raises(CommandError, match=r"^not ready: events_broker$"),
    ):
        call_command("check_readiness", role="dispatcher")
    call_command("check_readiness", role="beat")

    failed, passed = capsys.readouterr().out.splitlines()
    assert json.loads(failed)["checks"] == {"database": "ok", "events_broker": "failed: OperationalError"}
    assert json.loads(passed) == {"status": "ok", "role": "beat", "checks": {"database": "ok", "celery_broker": "ok"}}


def test_the_probes_only_answer_get(client):
    assert client.post("/health/live").status_code == 405
    assert client.post("/health/ready").status_code == 405
