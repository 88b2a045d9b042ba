"""Rate limits on the real Redis: counters shared through the cache, Retry-After from django-ratelimit's window,
and what happens with Redis down (reads and writes go on, sign-in, sign-up and the admin's sign-in answer 503)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from apps.users.models import User as UserRow
from tests.support.constants import PASSWORD
from tests.support.http import assert_problem, bearer, register, sign_in, tokens
from tests.support.outages import closed_port

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = {"currency": "EUR", "items": [{"sku": "book-123", "quantity": 1, "unit_price": "5.00"}]}


@pytest.fixture
def api():
    cache.clear()
    yield APIClient()
    cache.clear()


@pytest.fixture
def redis_down():
    caches = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    with override_settings(CACHES=caches):
        yield


@override_settings(RATE_LIMIT_TOKEN="5/m")
def test_the_sixth_sign_in_is_429_and_the_counter_lives_in_redis(api, rate_limit_window):
    register(api, "ada@example.com")

    statuses = [sign_in(api, "ada@example.com").status_code for _ in range(5)]
    sixth = sign_in(api, "ada@example.com")

    assert statuses == [200] * 5
    assert_problem(sixth, 429, "rate-limited")
    assert 1 <= int(sixth["Retry-After"]) <= 60
    keys = get_redis_connection("default").keys(f"{settings.APP_NAME}:*rl:*")
    assert keys
    # The counter expires with its window (plus django-ratelimit's few seconds of slack).
    assert 0 < get_redis_connection("default").ttl(keys[0]) <= 65


@override_settings(RATE_LIMIT_WRITES="2/m")
def test_the_write_budget_is_shared_by_every_client_of_one_user(api, rate_limit_window):
    register(api, "ada@example.com")
    auth = bearer(tokens(api, "ada@example.com"))
    laptop, phone = APIClient(), APIClient(REMOTE_ADDR="198.51.100.7")

    first = laptop.post("/api/v2/orders", ORDER, format="json", **auth)
    second = phone.post("/api/v2/orders", ORDER, format="json", **auth)
    third = laptop.post("/api/v1/orders", ORDER, format="json", **auth)

    assert (first.status_code, second.status_code) == (201, 201)
    assert_problem(third, 429, "rate-limited")
    assert "Retry-After" in third


def test_with_redis_down_reads_and_writes_go_on(api, redis_down):
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        register(api, "ada@example.com")
        auth = bearer(tokens(api, "ada@example.com"))

    read = api.get("/api/v2/orders", **auth)
    me = api.get("/api/v1/users/me", **auth)
    write = api.post("/api/v2/orders", ORDER, format="json", **auth)
    profile = api.patch("/api/v1/users/me", {"display_name": "Ada"}, format="json", **auth)

    assert (read.status_code, me.status_code) == (200, 200)
    assert (write.status_code, profile.status_code) == (201, 200)


def test_with_redis_down_sign_in_and_sign_up_fail_closed_with_503(api, redis_down):
    token = api.post("/api/v1/auth/token", {"email": "ada@example.com", "password": PASSWORD}, format="json")
    signup = api.post(
        "/api/v1/auth/register",
        {"email": "eve@example.com", "password": PASSWORD, "display_name": "Eve"},
        format="json",
    )

    for response in (token, signup):
        body = assert_problem(response, 503, "service-unavailable")
        assert body["detail"] == "The rate-limit store (Redis) cannot be reached; try again in a few seconds."
        assert response["Retry-After"] == "5"
    assert not UserRow.objects.filter(email="eve@example.com").exists()


def test_with_redis_down_the_admin_sign_in_fails_closed(redis_down):
    response = APIClient().post("/admin/login/", {"username": "root@example.com", "password": "guess"})

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:orderflow:problem:service-unavailable"
    assert response["Retry-After"] == "5"
