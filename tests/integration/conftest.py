"""Integration tests run on the real services: PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).

`make integration` sets both; run by hand, point them at real servers first.
"""

import uuid

import pytest
from django.conf import settings
from django.db import connection
from kombu import Queue

from apps.messaging import broker


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def _real_services():
    if connection.vendor != "postgresql":
        pytest.fail("integration tests need PostgreSQL: set DATABASE_URL (make integration does)", pytrace=False)
    if "django_redis" not in settings.CACHES["default"]["BACKEND"]:
        pytest.fail("integration tests need Redis: set REDIS_URL (make integration does)", pytrace=False)


@pytest.fixture
def listener():
    """A private queue bound to every users event; yields a function returning everything arrived so far."""
    conn = broker.connection()
    channel = conn.channel()
    bound = Queue(
        f"test.{uuid.uuid4().hex}", exchange=broker.events_exchange(), routing_key="users.#", auto_delete=True
    )(channel)
    bound.declare()
    arrived: list[dict] = []

    def received() -> list[dict]:
        while (message := bound.get(no_ack=True)) is not None:
            arrived.append(message.payload)
        return list(arrived)

    yield received
    bound.delete()
    channel.close()
    conn.release()
