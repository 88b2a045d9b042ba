"""Integration tests run on the real services: PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).

`make integration` sets both; run by hand, point them at real servers first.
"""

import pytest
from django.conf import settings
from django.db import connection


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
