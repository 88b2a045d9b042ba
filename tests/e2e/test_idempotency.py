"""``Idempotency-Key``: a retried create runs once; other uses of the key are told apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.platform.models import IdempotencyRecord
from apps.platform.tasks import purge_idempotency_keys as purge_expired_keys
from tests.e2e.idempotent_urls import Counter
from tests.support.http import assert_problem, bearer, register, tokens

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.e2e.idempotent_urls")]


@pytest.fixture(autouse=True)
def counter():
    Counter.calls, Counter.status, Counter.error = 0, 201, None
    return Counter


@pytest.fixture
def auth(api):
    register(api, "kim@example.com")
    return bearer(tokens(api, "kim@example.com"))


def create(api, auth, body, key=None):
    headers = {**auth, **({"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {})}
    return api.post("/api/things", body, format="json", **headers)


def test_the_same_key_and_body_replay_the_first_response_without_running_again(api, auth, counter):
    first = create(api, auth, {"a": 1, "b": [1, 2]}, key="k-1")
    again = create(api, auth, {"b": [1, 2], "a": 1}, key="k-1")  # the same JSON, keys in another order

    assert counter.calls == 1
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() == {"number": 1, "echo": {"a": 1, "b": [1, 2]}}
    assert again["Location"] == first["Location"] == "/api/things/1"
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first


def test_the_same_key_with_another_body_is_422_and_runs_nothing(api, auth, counter):
    create(api, auth, {"a": 1}, key="k-2")

    response = create(api, auth, {"a": 2}, key="k-2")

    assert_problem(response, 422, "idempotency-key-reused")
    assert counter.calls == 1


def test_the_same_key_and_body_sent_to_another_path_is_422_and_runs_nothing(api, auth, counter):
    create(api, auth, {"a": 1}, key="k-path")

    response = api.post("/api/other-things", {"a": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k-path", **auth)

    body = assert_problem(response, 422, "idempotency-key-reused")
    assert body["instance"] == "/api/other-things"
    assert "Idempotent-Replayed" not in response
    assert counter.calls == 1
    assert list(IdempotencyRecord.objects.values_list("key", "path")) == [("k-path", "/api/things")]


def test_without_a_key_every_request_runs(api, auth, counter):
    create(api, auth, {"a": 1})
    create(api, auth, {"a": 1})

    assert counter.calls == 2
    assert not IdempotencyRecord.objects.exists()


def test_keys_belong_to_their_caller(api, auth, counter):
    create(api, auth, {"a": 1}, key="shared")
    register(api, "lee@example.com")
    other = bearer(tokens(api, "lee@example.com"))

    response = create(api, other, {"a": 1}, key="shared")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert counter.calls == 2


@pytest.mark.parametrize("status", [400, 409, 500])
def test_a_request_that_does_not_succeed_spends_no_key(api, auth, counter, status):
    counter.status = status
    create(api, auth, {"a": 1}, key="k-3")
    counter.status = 201

    response = create(api, auth, {"a": 1}, key="k-3")

    assert response.status_code == 201
    assert counter.calls == 2


def test_a_request_that_raises_spends_no_key(api, auth, counter):
    counter.error = RuntimeError("boom")
    api.raise_request_exception = False
    assert create(api, auth, {"a": 1}, key="k-4").status_code == 500
    counter.error = None

    assert create(api, auth, {"a": 1}, key="k-4").status_code == 201
    assert IdempotencyRecord.objects.get(key="k-4").status_code == 201


def test_an_expired_key_is_taken_over(api, auth, counter):
    create(api, auth, {"a": 1}, key="k-7")
    IdempotencyRecord.objects.filter(key="k-7").update(created_at=timezone.now() - timedelta(hours=25))

    assert create(api, auth, {"a": 2}, key="k-7").status_code == 201
    assert counter.calls == 2
    assert IdempotencyRecord.objects.get(key="k-7").response_body["echo"] == {"a": 2}


def test_expired_keys_are_purged_and_live_ones_kept(api, auth):
    create(api, auth, {"a": 1}, key="old")
    create(api, auth, {"a": 1}, key="new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    assert purge_expired_keys() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_a_failed_request_leaves_nothing_it_wrote_behind(api, auth, counter):
    counter.status = 400
    create(api, auth, {"a": 1}, key="k-8")

    assert not IdempotencyRecord.objects.filter(key="k-8").exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_malformed_key_is_400(api, auth, counter, key):
    response = create(api, auth, {"a": 1}, key=key)

    assert "Idempotency-Key" in assert_problem(response, 400, "validation-error")["detail"]
    assert counter.calls == 0
