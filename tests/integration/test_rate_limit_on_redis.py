"""Sign-in attempts are counted in Redis, so every API process shares one limit."""

import pytest
from django_redis import get_redis_connection
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_the_login_limit_is_enforced_with_counters_in_redis(settings, rate_limit_window):
    settings.RATE_LIMIT_TOKEN = "3/m"
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    body = {"email": "nobody@example.com", "password": "wrong password"}

    statuses = [client.post("/api/v1/auth/token", body, format="json").status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    assert get_redis_connection("default").keys(f"{settings.APP_NAME}:*rl:*")
