"""The signed-in user's profile and the staff-only deactivation, over HTTP."""

import uuid

import pytest

from apps.users.models import User as UserRow
from tests.support.events import deliver_events
from tests.support.http import assert_problem, bearer, sign_in, signed_in

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"


def deactivate_url(user_id):
    return f"/api/v1/users/{user_id}/deactivate"


@pytest.fixture
def ada(api):
    return signed_in(api, "ada@example.com", "Ada")


# --- me -------------------------------------------------------------------------------------------------------


def test_me_returns_the_signed_in_user(api, ada):
    response = api.get(ME, **bearer(ada["tokens"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert {key: body[key] for key in ("id", "email", "display_name", "is_active", "created_at")} == {
        key: ada[key] for key in ("id", "email", "display_name", "is_active", "created_at")
    }
    assert body["last_login_at"] is not None


def test_me_without_a_token_or_with_a_bad_one_is_401(api, ada):
    anonymous = api.get(ME)
    garbage = api.get(ME, HTTP_AUTHORIZATION="Bearer not.a.token")
    refresh_as_access = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {ada['tokens']['refresh']}")

    body = assert_problem(anonymous, 401, "not-authenticated")
    assert body["detail"] == "Authentication credentials were not provided."
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="api"'
    assert assert_problem(garbage, 401, "authentication-failed")["detail"] == "Given token not valid for any token type"
    assert assert_problem(refresh_as_access, 401, "authentication-failed")["detail"] == (
        "Given token not valid for any token type"
    )


def test_patch_me_changes_the_display_name_trimmed(api, ada):
    response = api.patch(ME, {"display_name": "  Ada King  "}, format="json", **bearer(ada["tokens"]))

    assert response.status_code == 200
    assert response.json()["display_name"] == "Ada King"
    assert UserRow.objects.get(pk=ada["id"]).display_name == "Ada King"
    deliver_events()  # the read side catches up through the outbox
    assert api.get(ME, **bearer(ada["tokens"])).json()["display_name"] == "Ada King"


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"display_name": ["This field is required."]}),
        ({"display_name": "   "}, {"display_name": ["This field may not be blank."]}),
        ({"display_name": "x" * 101}, {"display_name": ["Ensure this field has no more than 100 characters."]}),
        # The limit counts the name as sent, as the schema's maxLength does, not what is left after trimming.
        ({"display_name": " x" + " " * 99}, {"display_name": ["Ensure this field has no more than 100 characters."]}),
        # A number is not a name: DRF alone would store 0 as "0".
        ({"display_name": 0}, {"display_name": ["Not a valid string."]}),
        ({"display_name": True}, {"display_name": ["Not a valid string."]}),
        ({"display_name": "Ann\u200bLee"}, {"display_name": ["A display name cannot contain control characters."]}),
    ],
)
def test_patch_me_with_an_invalid_display_name_changes_nothing(api, ada, payload, errors):
    response = api.patch(ME, payload, format="json", **bearer(ada["tokens"]))

    assert assert_problem(response, 400, "validation-error", with_errors=True)["errors"] == errors
    assert UserRow.objects.get(pk=ada["id"]).display_name == "Ada"


def test_a_display_name_may_hold_an_emoji_flag_made_of_tag_characters(api, ada):
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"

    response = api.patch(ME, {"display_name": f"Ada {scotland}"}, format="json", **bearer(ada["tokens"]))

    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == f"Ada {scotland}"


def test_patch_me_anonymously_is_401(api):
    response = api.patch(ME, {"display_name": "Nobody"}, format="json")

    assert_problem(response, 401, "not-authenticated")


# --- deactivate -----------------------------------------------------------------------------------------------


def test_staff_deactivates_a_user_who_then_can_use_none_of_their_tokens(api, ada, staff):
    response = api.post(
        deactivate_url(ada["id"]), {"reason": "asked to leave"}, format="json", **bearer(staff["tokens"])
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["email"], body["is_active"]) == (ada["id"], "ada@example.com", False)
    assert UserRow.objects.get(pk=ada["id"]).is_active is False

    access = api.get(ME, **bearer(ada["tokens"]))
    refresh = api.post("/api/v1/auth/token/refresh", {"refresh": ada["tokens"]["refresh"]}, format="json")
    login = sign_in(api, "ada@example.com")

    assert assert_problem(access, 401, "authentication-failed")["detail"] == "User is inactive"
    assert assert_problem(refresh, 401, "authentication-failed")["detail"] == (
        "No active account found for the given token."
    )
    assert assert_problem(login, 401, "authentication-failed")["detail"] == (
        "No active account found with the given credentials."
    )


def test_a_user_without_an_admin_role_may_not_deactivate_anyone(api, ada, staff):
    response = api.post(deactivate_url(staff["id"]), {"reason": "revenge"}, format="json", **bearer(ada["tokens"]))

    body = assert_problem(response, 403, "permission-denied")
    assert body["detail"] == "Your roles do not allow this (it takes the permission users.deactivate_user)."
    assert UserRow.objects.get(pk=staff["id"]).is_active is True


def test_deactivate_anonymously_is_401(api, ada):
    response = api.post(deactivate_url(ada["id"]), {"reason": "spam"}, format="json")

    assert_problem(response, 401, "not-authenticated")
    assert UserRow.objects.get(pk=ada["id"]).is_active is True


def test_deactivate_an_unknown_user_is_404(api, staff):
    response = api.post(deactivate_url(uuid.uuid4()), {"reason": "spam"}, format="json", **bearer(staff["tokens"]))
    not_a_uuid = api.post(deactivate_url("42"), {"reason": "spam"}, format="json", **bearer(staff["tokens"]))

    assert assert_problem(response, 404, "not-found")["detail"] == "No user has this id."
    assert assert_problem(not_a_uuid, 404, "not-found")["detail"] == "There is no resource at this URL."


def test_deactivate_without_a_reason_is_a_validation_error(api, ada, staff):
    response = api.post(deactivate_url(ada["id"]), {"reason": ""}, format="json", **bearer(staff["tokens"]))

    assert assert_problem(response, 400, "validation-error", with_errors=True)["errors"] == {
        "reason": ["This field may not be blank."]
    }
    assert UserRow.objects.get(pk=ada["id"]).is_active is True


def test_deactivating_twice_or_oneself_is_a_conflict(api, ada, staff):
    first = api.post(deactivate_url(ada["id"]), {"reason": "spam"}, format="json", **bearer(staff["tokens"]))
    again = api.post(deactivate_url(ada["id"]), {"reason": "spam"}, format="json", **bearer(staff["tokens"]))
    oneself = api.post(deactivate_url(staff["id"]), {"reason": "tired"}, format="json", **bearer(staff["tokens"]))

    assert first.status_code == 200
    assert assert_problem(again, 409, "business-rule-violation")["detail"] == "This user is already deactivated."
    assert (
        assert_problem(oneself, 409, "business-rule-violation")["detail"] == "You cannot deactivate your own account."
    )
    assert UserRow.objects.get(pk=staff["id"]).is_active is True
