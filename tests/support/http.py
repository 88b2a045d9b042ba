"""The API as a client sees it: accounts made over HTTP, bearer headers, and the problem-details check."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.users.models import User as UserRow
from tests.support.constants import PASSWORD
from tests.support.events import deliver_events

PROBLEM = "application/problem+json"
PROBLEM_TYPE = "urn:orderflow:problem:"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "correlation_id"}


def register(client: APIClient, email: str, *, display_name: str = "Someone", password: str = PASSWORD) -> dict:
    response = client.post(
        "/api/v1/auth/register", {"email": email, "password": password, "display_name": display_name}, format="json"
    )
    assert response.status_code == 201, response.content
    deliver_events()
    return response.json()


def sign_in(client: APIClient, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    response = client.post("/api/v1/auth/token", {"email": email, "password": password}, format="json", **extra)
    deliver_events()
    return response


def tokens(client: APIClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = sign_in(client, email, password)
    assert response.status_code == 200, response.content
    return response.json()


def bearer(pair: dict[str, str]) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {pair['access']}"}


def make_staff(user_id: str, role: str = "admin") -> None:
    """Staff with a role (``admin`` unless told): the back-office flag and the role's group, as the admin would set."""
    call_command("sync_roles", verbosity=0)
    user = UserRow.objects.get(pk=user_id)
    UserRow.objects.filter(pk=user_id).update(is_staff=True)
    user.groups.add(Group.objects.get(name=role))


def signed_in(client: APIClient, email: str, display_name: str, *, staff: bool = False) -> dict[str, Any]:
    """A registered user (an admin if ``staff``) and, under ``tokens``, the token pair they signed in with."""
    user = register(client, email, display_name=display_name)
    if staff:
        make_staff(user["id"])
    return {**user, "tokens": tokens(client, email)}


def account(client: APIClient, email: str, *, role: str | None = None) -> dict[str, Any]:
    """A registered user (staff with ``role`` if given) and, under ``auth``, their bearer header."""
    user = register(client, email, display_name=email.split("@")[0])
    if role is not None:
        make_staff(user["id"], role)
    return {**user, "auth": bearer(tokens(client, email))}


def assert_problem(response: Any, status: int, slug: str | None, *, with_errors: bool = False) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem of ``status``; returns its body for further checks.

    ``slug=None`` means the generic ``about:blank`` type (used for 500s).
    """
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    expected_fields = PROBLEM_FIELDS | {"errors"} if with_errors else PROBLEM_FIELDS
    assert set(body) == expected_fields, body
    assert body["type"] == (f"{PROBLEM_TYPE}{slug}" if slug else "about:blank")
    assert body["title"] == HTTPStatus(status).phrase
    assert body["status"] == status
    assert body["instance"] == response.wsgi_request.path
    assert body["detail"]
    assert body["correlation_id"] == response["X-Request-ID"]
    return body
