"""The pieces of /metrics that need no database: the token check, the route label, the consumer lag."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import RequestFactory
from django.urls import resolve

from apps.messaging.runner import lag_since
from apps.observability.middleware import UNMATCHED, route_of
from apps.observability.views import authorized

TOKEN = "s3cret-metrics-token-0123"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer {TOKEN}", True),
        (f"Bearer  {TOKEN} ", True),
        (f"Basic {TOKEN}", False),
        (TOKEN, False),
        ("Bearer", False),
        ("Bearer ", False),
        ("", False),
        (f"Bearer {TOKEN}x", False),
        (f"Bearer {TOKEN[:-1]}", False),
        ("Bearer ünïcode", False),
    ],
)
def test_only_the_bearer_scheme_with_exactly_the_token_is_authorized(header, expected):
    assert authorized(header, TOKEN) is expected


def test_the_route_label_is_the_url_pattern_never_the_path():
    request = RequestFactory().get("/api/v1/orders/0b7c2f5e-3c1d-4f7a-9a55-0c6a2f1d9e10")
    request.resolver_match = resolve(request.path)

    assert route_of(request) == "api/v1/orders/<uuid:order_id>"


def test_a_request_no_pattern_matched_is_labelled_unmatched():
    request = RequestFactory().get("/no/such/page")

    assert route_of(request) == UNMATCHED


def test_the_lag_is_the_seconds_since_the_event_occurred_and_never_negative():
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

    assert lag_since((now - timedelta(seconds=2.5)).isoformat(), now.timestamp()) == 2.5
    assert lag_since((now + timedelta(seconds=3)).isoformat(), now.timestamp()) == 0.0


@pytest.mark.parametrize("occurred_at", [None, 17, "yesterday", "2026-03-01T12:00:00"])
def test_an_event_without_a_usable_occurred_at_has_no_lag(occurred_at):
    assert lag_since(occurred_at, 1_800_000_000.0) is None
