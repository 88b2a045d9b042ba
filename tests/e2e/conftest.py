import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def empty_cache():
    """Rate-limit counters live in the cache; a test that counts requests starts from zero."""
    cache.clear()
    yield
    cache.clear()
