"""The liveness and readiness probes."""

from unittest import mock

import pytest
from django.db import OperationalError


def test_live_answers_without_touching_anything(client):
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_checks_the_database(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_ready_is_503_and_names_the_database_when_it_does_not_answer(client):
    with mock.patch("apps.platform.health.connection") as connection:
        connection.cursor.side_effect = OperationalError("connection refused by 10.0.0.5")
        response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "failed: OperationalError"}}
    assert "10.0.0.5" not in response.content.decode()


def test_the_probes_only_answer_get(client):
    assert client.post("/health/live").status_code == 405
    assert client.post("/health/ready").status_code == 405
