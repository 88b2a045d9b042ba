"""Idempotency-Key on PostgreSQL: the same order sent several times at once is placed once."""

from __future__ import annotations

import threading

import pytest
from rest_framework.test import APIClient

from apps.orders.models import Order as OrderRow
from apps.platform.models import IdempotencyRecord
from tests.integration.threads import in_thread
from tests.support.http import bearer, register, tokens

ORDER = {"currency": "EUR", "items": [{"sku": "BOOK-DDD", "quantity": 1, "unit_price": "39.90"}]}


@pytest.mark.django_db(transaction=True)
def test_the_same_order_sent_four_times_at_once_is_placed_once_and_answered_alike():
    api = APIClient()
    register(api, "eve@example.com")
    auth = bearer(tokens(api, "eve@example.com"))
    start = threading.Barrier(4, timeout=10)
    answers: list[tuple[int, str, str]] = []

    def send() -> None:
        client = APIClient()
        start.wait()
        response = client.post("/api/v2/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="retry-storm", **auth)
        answers.append((response.status_code, response.json()["id"], response.get("Idempotent-Replayed", "")))

    threads = [in_thread(send) for _ in range(4)]
    for thread in threads:
        thread.join(timeout=30)

    assert len(answers) == 4
    assert {(status, order_id) for status, order_id, _ in answers} == {(201, answers[0][1])}
    assert sorted(replayed for _, _, replayed in answers) == ["", "true", "true", "true"]
    assert OrderRow.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="retry-storm").status_code == 201
