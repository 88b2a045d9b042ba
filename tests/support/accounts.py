"""Accounts made through the production command bus, for tests that need users without going over HTTP."""

from __future__ import annotations

from apps.users.models import User as UserRow
from domain.users.commands import RegisterUser
from domain.users.model import User
from tests.support.commands import dispatch
from tests.support.constants import PASSWORD


def register(email: str, display_name: str = "Someone") -> User:
    """A newly registered user, as the command bus answers it (the domain aggregate)."""
    return dispatch(RegisterUser(email=email, password=PASSWORD, display_name=display_name))


def user_row(email: str, display_name: str = "Someone") -> UserRow:
    """A newly registered user's row."""
    return UserRow.objects.get(pk=register(email, display_name).id)


def staff_row(email: str, display_name: str = "Staff", *, superuser: bool) -> UserRow:
    """A newly registered user made staff (and superuser if told), as the admin would; returns the row."""
    user = register(email, display_name)
    UserRow.objects.filter(pk=user.id).update(is_staff=True, is_superuser=superuser)
    return UserRow.objects.get(pk=user.id)
