"""Register, sign in, refresh and sign out over HTTP, through the real URL conf and middleware."""

from datetime import datetime
from uuid import UUID

import pytest
from django.test import override_settings

from apps.users.models import User as UserRow
from tests.support.constants import PASSWORD
from tests.support.http import assert_problem, bearer, make_staff, register, sign_in, tokens

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"


def registration(email="ada@example.com", password=PASSWORD, display_name="Ada"):
    return {"email": email, "password": password, "display_name": display_name}


def without_correlation(body):
    return {key: value for key, value in body.items() if key != "correlation_id"}


# --- register -------------------------------------------------------------------------------------------------


def test_register_creates_an_active_user_and_answers_with_it(api):
    response = api.post(
        REGISTER, registration(email="  Ada@Example.COM ", display_name="  Ada Lovelace "), format="json"
    )

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"id", "email", "display_name", "created_at", "is_active", "last_login_at"}
    assert (body["email"], body["display_name"], body["is_active"], body["last_login_at"]) == (
        "ada@example.com",
        "Ada Lovelace",
        True,
        None,
    )
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    row = UserRow.objects.get(pk=body["id"])
    assert (row.email, row.is_staff) == ("ada@example.com", False)
    assert row.password.startswith("argon2$argon2id$")


@pytest.mark.parametrize("duplicate", ["ada@example.com", "ADA@EXAMPLE.COM", "Ada@example.com"])
def test_register_with_an_email_already_taken_in_any_letter_case_is_a_conflict(api, duplicate):
    first = register(api, "ada@example.com", display_name="Ada")

    response = api.post(REGISTER, registration(email=duplicate, display_name="Impostor"), format="json")

    body = assert_problem(response, 409, "conflict")
    assert body["detail"] == "An account with this e-mail address already exists."
    rows = list(UserRow.objects.filter(email__iexact="ada@example.com").values("id", "display_name"))
    assert rows == [{"id": UUID(first["id"]), "display_name": "Ada"}]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("8491027365018", "This password is entirely numeric."),
        ("grace@example.com!", "The password is too similar to the email."),
    ],
)
def test_register_with_a_weak_password_names_the_password_field(api, password, message):
    response = api.post(REGISTER, registration(email="grace@example.com", password=password), format="json")

    body = assert_problem(response, 400, "validation-error", with_errors=True)
    assert set(body["errors"]) == {"password"}
    assert message in body["errors"]["password"]
    assert not UserRow.objects.filter(email="grace@example.com").exists()


@pytest.mark.parametrize(
    ("field", "value"), [("password", 1234567890123), ("display_name", 0), ("email", ["ada@example.com"])]
)
def test_register_takes_only_strings_in_its_string_fields(api, field, value):
    response = api.post(REGISTER, {**registration(), field: value}, format="json")

    assert list(assert_problem(response, 400, "validation-error", with_errors=True)["errors"]) == [field]
    assert not UserRow.objects.filter(email="ada@example.com").exists()


def test_register_with_an_invalid_email_or_missing_fields_lists_each_field(api):
    invalid = api.post(REGISTER, registration(email="not-an-email"), format="json")
    missing = api.post(REGISTER, {}, format="json")
    blank_name = api.post(REGISTER, registration(email="blank@example.com", display_name="   "), format="json")

    assert assert_problem(invalid, 400, "validation-error", with_errors=True)["errors"] == {
        "email": ["Enter a valid email address."]
    }
    assert assert_problem(missing, 400, "validation-error", with_errors=True)["errors"] == {
        "email": ["This field is required."],
        "password": ["This field is required."],
        "display_name": ["This field is required."],
    }
    assert assert_problem(blank_name, 400, "validation-error", with_errors=True)["errors"] == {
        "display_name": ["This field may not be blank."]
    }
    assert not UserRow.objects.filter(email__in=["not-an-email", "blank@example.com"]).exists()


# --- token ----------------------------------------------------------------------------------------------------


def test_sign_in_returns_a_token_pair_whose_access_token_opens_the_api_and_records_the_login(api):
    ada = register(api, "ada@example.com")

    response = sign_in(api, "ADA@example.com")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    pair = response.json()
    assert set(pair) == {"access", "refresh"}
    assert pair["access"] != pair["refresh"]
    me = api.get(ME, **bearer(pair))
    assert me.status_code == 200
    assert me.json()["id"] == ada["id"]
    assert me.json()["last_login_at"] is not None


def test_wrong_password_unknown_email_and_deactivated_user_get_the_same_401(api):
    register(api, "ada@example.com")
    staff = register(api, "boss@example.com")
    make_staff(staff["id"])
    gone = register(api, "gone@example.com")
    deactivated = api.post(
        f"/api/v1/users/{gone['id']}/deactivate",
        {"reason": "closed"},
        format="json",
        **bearer(tokens(api, "boss@example.com")),
    )
    assert deactivated.status_code == 200

    wrong_password = sign_in(api, "ada@example.com", "not the right passphrase")
    unknown_email = sign_in(api, "nobody@example.com")
    deactivated_user = sign_in(api, "gone@example.com")

    bodies = [
        assert_problem(response, 401, "authentication-failed")
        for response in (wrong_password, unknown_email, deactivated_user)
    ]
    assert bodies[0]["detail"] == "No active account found with the given credentials."
    assert without_correlation(bodies[0]) == without_correlation(bodies[1]) == without_correlation(bodies[2])
    assert {response["WWW-Authenticate"] for response in (wrong_password, unknown_email, deactivated_user)} == {
        'Bearer realm="api"'
    }


def test_sign_in_without_credentials_is_a_validation_error(api):
    response = api.post("/api/v1/auth/token", {"email": "ada@example.com"}, format="json")

    body = assert_problem(response, 400, "validation-error", with_errors=True)
    assert body["errors"] == {"password": ["This field is required."]}


@override_settings(RATE_LIMIT_TOKEN="2/m")
def test_sign_in_is_rate_limited_per_client_address(api, rate_limit_window):
    register(api, "ada@example.com")

    attempts = [sign_in(api, "ada@example.com", "guessing the passphrase") for _ in range(2)]
    limited = sign_in(api, "ada@example.com")
    other_address = sign_in(api, "ada@example.com", REMOTE_ADDR="203.0.113.7")

    assert [response.status_code for response in attempts] == [401, 401]
    body = assert_problem(limited, 429, "rate-limited")
    assert body["detail"] == "Too many requests; slow down and try again later."
    assert other_address.status_code == 200


# --- refresh --------------------------------------------------------------------------------------------------


def test_refresh_rotates_the_pair_and_the_old_refresh_token_stops_working(api):
    register(api, "ada@example.com")
    first = tokens(api, "ada@example.com")

    rotated = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    reused = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    second = rotated.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert api.get(ME, **bearer(second)).status_code == 200
    assert assert_problem(reused, 401, "authentication-failed")["detail"] == "Token is blacklisted"
    assert api.post(REFRESH, {"refresh": second["refresh"]}, format="json").status_code == 200


@pytest.mark.parametrize("kind", ["garbage", "access token"])
def test_refresh_with_something_that_is_not_a_refresh_token_is_401(api, kind):
    register(api, "ada@example.com")
    pair = tokens(api, "ada@example.com")
    candidate = "not.a.token" if kind == "garbage" else pair["access"]

    response = api.post(REFRESH, {"refresh": candidate}, format="json")

    body = assert_problem(response, 401, "authentication-failed")
    assert body["detail"] in {"Token is invalid", "Token has wrong type"}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_refresh_without_a_token_is_a_validation_error(api):
    response = api.post(REFRESH, {}, format="json")

    assert assert_problem(response, 400, "validation-error", with_errors=True)["errors"] == {
        "refresh": ["This field is required."]
    }


# --- logout ---------------------------------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(api):
    register(api, "ada@example.com")
    pair = tokens(api, "ada@example.com")

    response = api.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")
    refresh_after = api.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    logout_again = api.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 204
    assert response.content == b""
    assert assert_problem(refresh_after, 401, "authentication-failed")["detail"] == "Token is blacklisted"
    assert assert_problem(logout_again, 401, "authentication-failed")["detail"] == "Token is blacklisted"


def test_logout_with_an_invalid_token_is_401_and_without_one_400(api):
    invalid = api.post(LOGOUT, {"refresh": "not.a.token"}, format="json")
    missing = api.post(LOGOUT, {}, format="json")

    assert assert_problem(invalid, 401, "authentication-failed")["detail"] == "Token is invalid"
    assert invalid["WWW-Authenticate"] == 'Bearer realm="api"'
    assert assert_problem(missing, 400, "validation-error", with_errors=True)["errors"] == {
        "refresh": ["This field is required."]
    }
