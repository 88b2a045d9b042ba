"""The dead-letter queue's bound as configured, the policy that carries it, and where the management API is."""

from __future__ import annotations

import pytest
from kombu import Connection

from apps.messaging.dead_letters import DAY_MS, ManagementApi, Retention, RetentionError, management_url, policy


def test_the_bound_comes_from_the_settings_and_zero_means_none(settings):
    settings.EVENTS_DEAD_LETTER_MAX_LENGTH, settings.EVENTS_DEAD_LETTER_RETENTION_DAYS = 10_000, 14
    assert Retention.configured() == Retention(max_length=10_000, ttl_ms=14 * DAY_MS)

    settings.EVENTS_DEAD_LETTER_MAX_LENGTH = 0
    assert Retention.configured() == Retention(max_length=None, ttl_ms=14 * DAY_MS)

    settings.EVENTS_DEAD_LETTER_RETENTION_DAYS = 0
    assert not Retention.configured().bounded


@pytest.mark.parametrize(
    ("retention", "definition", "described"),
    [
        (
            Retention(10_000, 14 * DAY_MS),
            {"max-length": 10_000, "message-ttl": 14 * DAY_MS},
            "at most 10,000 messages, each kept 14 d",
        ),
        (Retention(1, None), {"max-length": 1}, "at most 1 message"),
        (Retention(None, 90_000), {"message-ttl": 90_000}, "each kept 90 s"),
        (Retention(None, 250), {"message-ttl": 250}, "each kept 250 ms"),
        (Retention(None, None), {}, "unbounded"),
    ],
)
def test_the_policy_definition_and_description_say_the_same_bound(retention, definition, described):
    assert retention.definition() == definition
    assert retention.describe() == described


def test_the_policy_applies_to_the_dead_letter_queue_alone():
    bound = policy("orderflow.dead-letters", Retention(5, None))

    assert bound == {
        "pattern": r"^orderflow\.dead\-letters$",
        "definition": {"max-length": 5},
        "priority": 10,
        "apply-to": "queues",
    }


@pytest.mark.parametrize(
    ("broker_url", "expected"),
    [
        ("amqp://guest:guest@127.0.0.1:5672//", "http://guest:guest@127.0.0.1:15672"),
        ("amqp://app:p%40ss@rabbitmq.internal:5672/orderflow", "http://app:p%40ss@rabbitmq.internal:15672"),
        ("amqps://app:secret@rabbitmq.example.com:5671/", "https://app:secret@rabbitmq.example.com:15671"),
    ],
)
def test_the_management_api_defaults_to_the_brokers_host_and_credentials(settings, broker_url, expected):
    settings.EVENTS_BROKER_MANAGEMENT_URL = ""

    assert management_url(Connection(broker_url)) == expected


def test_a_configured_management_url_wins(settings):
    settings.EVENTS_BROKER_MANAGEMENT_URL = "https://admin:x@mq-admin.example.com/rabbitmq"

    assert management_url(Connection("amqp://app:y@rabbitmq:5672//")) == settings.EVENTS_BROKER_MANAGEMENT_URL
    assert ManagementApi(settings.EVENTS_BROKER_MANAGEMENT_URL).base == "https://mq-admin.example.com/rabbitmq"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "amqp://guest:guest@rabbitmq:5672//", "not a url"])
def test_the_management_api_is_spoken_to_over_http_only(url):
    with pytest.raises(RetentionError, match="must be http"):
        ManagementApi(url)


@pytest.mark.parametrize(
    "url", ["amqp://admin:s3cret@rabbit:15672", "http://admin:s3cret@rabbit:port", "http://admin:s3cret@rabbit:99999"]
)
def test_a_wrong_management_url_is_refused_in_one_line_without_its_password(url):
    with pytest.raises(RetentionError, match="must be http") as refused:
        ManagementApi(url)

    assert "s3cret" not in str(refused.value)
    assert "admin" not in str(refused.value)
