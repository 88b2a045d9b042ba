import pytest
from rest_framework.test import APIClient

from tests.support.http import account, signed_in


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def ann(api):
    """A signed-in customer: her account and ``auth``, her bearer header."""
    return account(api, "ann@example.com")


@pytest.fixture
def bob(api):
    return account(api, "bob@example.com")


@pytest.fixture
def staff(api):
    """A signed-in staff member with their token pair (``tokens``); modules that need a role override it."""
    return signed_in(api, "boss@example.com", "Boss", staff=True)
