"""The dead-letter queue's bound on a real RabbitMQ: an operator policy that declare_event_topology sets.

These tests run on a RabbitMQ node of their own (tests.support.rabbitmq), with the
management plugin the shared broker does not have, so the policies they set never reach
anybody else's queues. The node starts once for the module (about ten seconds).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from base64 import b64encode
from collections.abc import Iterator
from io import StringIO
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from kombu import Connection, Producer, Queue

from apps.messaging import broker
from apps.messaging.dead_letters import (
    DAY_MS,
    POLICY_NAME,
    ManagementApi,
    Retention,
    apply_retention,
    read_queue,
)
from apps.messaging.failures import declare_dead_letters
from apps.messaging.models import DeliveryFailure
from apps.messaging.registry import consumers
from apps.messaging.runner import ConsumerRunner
from tests.support.accounts import staff_row
from tests.support.ci import skip_unless_ci
from tests.support.rabbitmq import PrivateRabbitMQ, free_port

DEAD_LETTERS = "orderflow.dead-letters"


@pytest.fixture(scope="module")
def node(tmp_path_factory) -> Iterator[PrivateRabbitMQ]:
    if not PrivateRabbitMQ.available():
        skip_unless_ci("rabbitmq-server is not installed here: no private node with the management plugin")
    rabbit = PrivateRabbitMQ(tmp_path_factory.mktemp("rabbitmq")).start()
    yield rabbit
    rabbit.stop()


@pytest.fixture
def on_node(node, settings) -> Iterator[PrivateRabbitMQ]:
    """Settings pointing at the private node, its dead-letter queue and policy gone after the test."""
    settings.EVENTS_BROKER_URL = node.amqp_url
    settings.EVENTS_BROKER_MANAGEMENT_URL = node.management_url
    settings.EVENTS_DEAD_LETTER_MAX_LENGTH = 10_000
    settings.EVENTS_DEAD_LETTER_RETENTION_DAYS = 14
    yield node
    ManagementApi(node.management_url).delete_operator_policy("/", POLICY_NAME)
    with Connection(node.amqp_url) as conn:
        Queue(DEAD_LETTERS)(conn.default_channel).delete()


def dead_letter(*numbers: int, url: str) -> None:
    """Publish to the dead-letter exchange, as RabbitMQ does when a consumer rejects a message."""
    with Connection(url) as conn:
        producer = Producer(conn.default_channel, exchange=broker.dead_letter_exchange())
        for n in numbers:
            producer.publish({"n": n}, routing_key="orders.order_placed", serializer="json", delivery_mode=2)


def held(url: str) -> list[int]:
    """What the dead-letter queue holds, oldest first (read and put back: the queue keeps them)."""
    with Connection(url) as conn:
        channel = conn.channel()
        bound = Queue(DEAD_LETTERS)(channel)
        messages = []
        while (message := bound.get(no_ack=False)) is not None:
            messages.append(message)
        numbers = [message.payload["n"] for message in messages]
        channel.close()  # the unacknowledged messages go back, in their order
    return numbers


def wait_for(predicate: Any, *, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the broker did not get there in time"
        time.sleep(0.05)


def queue_info(node: PrivateRabbitMQ) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{node.management_port}/api/queues/%2F/{quote(DEAD_LETTERS)}",
        headers={"Authorization": "Basic " + b64encode(b"guest:guest").decode()},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return dict(json.load(response))


def declare(**options: Any) -> list[str]:
    out = StringIO()
    call_command("declare_event_topology", stdout=out, **options)
    return out.getvalue().splitlines()


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a child process: what an operator sees, stderr and exit status included."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONUNBUFFERED": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_existing_dead_letter_queue_is_bounded_in_place_and_loses_its_oldest_messages_first(on_node, settings):
    # As every broker has it today: the queue declared without a bound, holding dead letters.
    with Connection(on_node.amqp_url) as conn:
        declare_dead_letters(conn.default_channel)
    dead_letter(*range(5), url=on_node.amqp_url)
    settings.EVENTS_DEAD_LETTER_MAX_LENGTH = 3

    lines = declare()

    assert lines[-1] == (
        f"dead-letter queue {DEAD_LETTERS} bounded by operator policy {POLICY_NAME}: at most 3 messages, each kept 14 d"
    )
    wait_for(lambda: read_queue().messages == 3)
    assert held(on_node.amqp_url) == [2, 3, 4]
    dead_letter(5, 6, url=on_node.amqp_url)
    assert held(on_node.amqp_url) == [4, 5, 6]
    # The queue keeps being declared as before (consumers, the requeue): no PRECONDITION_FAILED.
    with Connection(on_node.amqp_url) as conn:
        ConsumerRunner(consumers()).declare(conn)
        declare_dead_letters(conn.default_channel)
    wait_for(lambda: queue_info(on_node).get("operator_policy") == POLICY_NAME)
    info = queue_info(on_node)
    assert info["effective_policy_definition"] == {"max-length": 3, "message-ttl": 14 * DAY_MS}
    assert info["arguments"] == {}


def test_the_policy_is_set_once_then_follows_the_configuration_and_goes_when_no_bound_is_left(on_node, settings):
    api = ManagementApi(on_node.management_url)

    first, again = declare()[-1], declare()[-1]

    assert first.endswith(f"bounded by operator policy {POLICY_NAME}: at most 10,000 messages, each kept 14 d")
    assert again.endswith(
        f"bounded by operator policy {POLICY_NAME} (unchanged): at most 10,000 messages, each kept 14 d"
    )
    policy = api.operator_policy("/", POLICY_NAME)
    assert policy is not None
    assert (policy["pattern"], policy["apply-to"]) == (r"^orderflow\.dead\-letters$", "queues")
    assert policy["definition"] == {"max-length": 10_000, "message-ttl": 14 * DAY_MS}

    settings.EVENTS_DEAD_LETTER_MAX_LENGTH, settings.EVENTS_DEAD_LETTER_RETENTION_DAYS = 50, 0
    assert declare()[-1].endswith(f"bounded by operator policy {POLICY_NAME}: at most 50 messages")
    assert api.operator_policy("/", POLICY_NAME)["definition"] == {"max-length": 50}

    settings.EVENTS_DEAD_LETTER_MAX_LENGTH = 0
    assert declare()[-1] == f"dead-letter queue {DEAD_LETTERS} unbounded: operator policy {POLICY_NAME} removed"
    assert api.operator_policy("/", POLICY_NAME) is None
    assert declare()[-1] == f"dead-letter queue {DEAD_LETTERS} unbounded (no bound configured)"


def test_dead_letters_older_than_the_retention_are_dropped(on_node):
    with Connection(on_node.amqp_url) as conn:
        declare_dead_letters(conn.default_channel)
    api = ManagementApi(on_node.management_url)

    assert apply_retention(api, vhost="/", retention=Retention(max_length=None, ttl_ms=300)) == "set"
    dead_letter(1, 2, url=on_node.amqp_url)
    time.sleep(0.1)
    dead_letter(3, url=on_node.amqp_url)

    assert read_queue().messages == 3
    wait_for(lambda: read_queue().messages == 0, seconds=5)


def test_without_the_management_api_the_command_declares_the_rest_and_fails_in_one_line(on_node):
    closed = free_port()

    done = manage(
        "declare_event_topology",
        EVENTS_BROKER_URL=on_node.amqp_url,
        EVENTS_BROKER_MANAGEMENT_URL=f"http://guest:s3cret@127.0.0.1:{closed}",
    )

    assert done.returncode == 1
    assert all(line.startswith("queue orderflow.") for line in done.stdout.splitlines()), done.stdout
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(
        f"orderflow: dead-letter queue not bounded: the management API at http://127.0.0.1:{closed} "
        "cannot be reached ([Errno 111] Connection refused): enable the rabbitmq_management plugin, or set "
        "EVENTS_BROKER_MANAGEMENT_URL to where it listens"
    ), done.stderr
    assert "s3cret" not in done.stderr
    assert ManagementApi(on_node.management_url).operator_policy("/", POLICY_NAME) is None


def test_a_management_user_without_the_administrator_tag_is_told_what_it_lacks(on_node, settings):
    api = ManagementApi(on_node.management_url)
    api._call("PUT", "/api/users/orderflow-app", {"password": "app-pass", "tags": "policymaker"})
    api._call("PUT", "/api/permissions/%2F/orderflow-app", {"configure": ".*", "write": ".*", "read": ".*"})
    settings.EVENTS_BROKER_MANAGEMENT_URL = f"http://orderflow-app:app-pass@127.0.0.1:{on_node.management_port}"

    with pytest.raises(CommandError) as refused:
        declare()

    assert str(refused.value) == (
        f"dead-letter queue not bounded: the management API at http://127.0.0.1:{on_node.management_port} "
        "answered 401 (Not administrator user): operator policies need a user with the administrator tag; "
        "EVENTS_BROKER_MANAGEMENT_URL can name one (--skip-retention where a definitions file or rabbitmqctl "
        "sets the policy)"
    )
    assert api.operator_policy("/", POLICY_NAME) is None


def test_skip_retention_leaves_the_policy_to_whoever_sets_it_otherwise(on_node, settings):
    api = ManagementApi(on_node.management_url)
    set_elsewhere = {"pattern": r"^orderflow\.dead\-letters$", "definition": {"max-length": 7}, "apply-to": "queues"}
    api.put_operator_policy("/", POLICY_NAME, set_elsewhere)
    settings.EVENTS_BROKER_MANAGEMENT_URL = f"http://guest:guest@127.0.0.1:{free_port()}"  # not even reachable

    lines = declare(skip_retention=True)

    assert lines
    assert all(line.startswith("queue orderflow.") for line in lines), lines
    assert api.operator_policy("/", POLICY_NAME)["definition"] == {"max-length": 7}


@pytest.mark.django_db
def test_the_admin_shows_what_the_bounded_queue_holds_next_to_the_dead_letters_recorded(on_node, settings, client):
    settings.EVENTS_DEAD_LETTER_MAX_LENGTH, settings.EVENTS_DEAD_LETTER_RETENTION_DAYS = 2, 1
    declare()
    dead_letter(1, 2, 3, 4, url=on_node.amqp_url)
    DeliveryFailure.objects.create(
        consumer="test-admin", event_id=uuid.uuid4(), envelope={"body": "b'x'"}, status="dead", attempts=1
    )
    client.force_login(staff_row("boss@example.com", superuser=True))

    response = client.get("/admin/messaging/deliveryfailure/")

    assert response.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", "", response.content.decode()).split())
    assert "Dead letters recorded: 1 (failures with status dead)." in text
    assert (
        f"Dead-letter queue {DEAD_LETTERS}: 2 messages now; "
        "at most 2 messages, each kept 1 d, the oldest dropped first." in text
    )
