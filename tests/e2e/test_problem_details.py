"""Every error under /api/ is RFC 9457 application/problem+json, wherever it is raised."""

import json
from unittest import mock

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from apps.users.models import User as UserRow
from tests.support.constants import PASSWORD
from tests.support.http import account, assert_problem, bearer, make_staff, register, tokens

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
ME = "/api/v1/users/me"
LEAKS = ("Traceback", "RuntimeError", "secret detail", 'File "', settings.SECRET_KEY, "DATABASES")


@pytest.fixture
def signed_in(api):
    register(api, "ada@example.com")
    return bearer(tokens(api, "ada@example.com"))


@pytest.fixture
def quiet_client():
    """A client that answers 500s instead of re-raising what the server logged."""
    return APIClient(raise_request_exception=False)


def registration(email):
    return {"email": email, "password": PASSWORD, "display_name": "Someone"}


def assert_nothing_leaks(response):
    text = response.content.decode()
    for leak in LEAKS:
        assert leak not in text


# --- 400 ------------------------------------------------------------------------------------------------------


def test_malformed_json_is_400(api):
    response = api.post(REGISTER, data='{"email": "ada@example.com",', content_type="application/json")

    body = assert_problem(response, 400, "malformed-request")
    assert body["detail"].startswith("JSON parse error")


def test_a_json_body_that_is_not_an_object_is_a_validation_error(api):
    response = api.post(REGISTER, data="[1, 2]", content_type="application/json")

    assert assert_problem(response, 400, "validation-error", with_errors=True)["errors"] == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }


@pytest.mark.parametrize("path", [REGISTER, "/api/v2/orders"])
def test_a_json_null_body_is_a_validation_error_saying_no_data_was_provided(api, path):
    headers = {} if path == REGISTER else account(api, "ann@example.com")["auth"]

    response = api.post(path, data="null", content_type="application/json", **headers)

    assert assert_problem(response, 400, "validation-error", with_errors=True)["errors"] == {
        "non_field_errors": ["No data provided"]
    }


def test_a_disallowed_host_is_a_problem_too(api):
    response = api.get(ME, HTTP_HOST="evil.example")

    assert assert_problem(response, 400, "malformed-request")["detail"] == "The request is not valid."
    assert "evil.example" not in response.content.decode()


# --- 404 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/v1/nothing-here", "/api/v1/users/me/", "/api/v1/"])
def test_an_unknown_url_under_api_is_404(api, path):
    response = api.get(path)

    assert assert_problem(response, 404, "not-found")["detail"] == "There is no resource at this URL."


@pytest.mark.parametrize(
    "path", ["/api/v2/orders/null%2Cnull/ship", "/api/v1/orders/null%2Cnull/ship", "/api/nothing-here"]
)
def test_a_post_to_an_unknown_url_under_api_is_a_404_problem_not_a_csrf_page(path):
    # Django's test client skips CSRF checks unless told: this one enforces them, as a browser's server would.
    response = APIClient(enforce_csrf_checks=True).post(path, {}, format="json")

    assert assert_problem(response, 404, "not-found")["instance"] == path.replace("%2C", ",")


def test_a_csrf_failure_under_api_is_a_problem_and_elsewhere_django_s_page(rf):
    from apps.platform.problems import csrf_failure

    api_response = csrf_failure(rf.post("/api/v1/some-form"), reason="CSRF cookie not set.")
    admin_response = csrf_failure(rf.post("/admin/login/"), reason="CSRF cookie not set.")

    assert (api_response.status_code, api_response["Content-Type"]) == (403, "application/problem+json")
    body = json.loads(api_response.content)
    assert (body["type"], body["detail"]) == ("urn:orderflow:problem:csrf-failed", "The request failed the CSRF check.")
    assert admin_response.status_code == 403
    assert admin_response["Content-Type"].startswith("text/html")


def test_an_unknown_api_version_is_404(api, signed_in):
    response = api.get("/api/v9/users/me", **signed_in)

    assert assert_problem(response, 404, "not-found")["detail"] == "There is no resource at this URL."


def test_a_version_an_endpoint_does_not_have_is_404(api, signed_in):
    response = api.get("/api/v2/users/me", **signed_in)

    assert_problem(response, 404, "not-found")


# --- 405, 406, 413, 415 ---------------------------------------------------------------------------------------


def test_a_method_the_resource_does_not_have_is_405(api, signed_in):
    response = api.delete(ME, **signed_in)
    get_register = api.get(REGISTER)

    assert assert_problem(response, 405, "method-not-allowed")["detail"] == 'Method "DELETE" not allowed.'
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "PATCH", "OPTIONS"}
    assert assert_problem(get_register, 405, "method-not-allowed")["detail"] == 'Method "GET" not allowed.'


def test_asking_for_html_is_406_and_nothing_happens(api, signed_in):
    read = api.get(ME, HTTP_ACCEPT="text/html", **signed_in)
    write = api.post(REGISTER, registration("html@example.com"), format="json", HTTP_ACCEPT="text/html")

    assert assert_problem(read, 406, "not-acceptable")["detail"] == "Could not satisfy the request Accept header."
    assert_problem(write, 406, "not-acceptable")
    assert not UserRow.objects.filter(email="html@example.com").exists()


def test_asking_for_problem_json_or_anything_is_fine(api, signed_in):
    assert api.get(ME, HTTP_ACCEPT="application/json", **signed_in).status_code == 200
    assert api.get(ME, HTTP_ACCEPT="*/*", **signed_in).status_code == 200


def test_a_body_over_the_configured_size_is_413_before_any_view_runs(api):
    payload = json.dumps(registration("big@example.com") | {"display_name": "x" * 200})
    one_byte_less = json.dumps(registration("big@example.com") | {"display_name": "x" * 199})
    limit = len(one_byte_less.encode())

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=limit):
        too_large = api.post(REGISTER, data=payload, content_type="application/json")
        at_the_limit = api.post(REGISTER, data=one_byte_less, content_type="application/json")

    body = assert_problem(too_large, 413, "payload-too-large")
    assert body["detail"] == f"The request body is {limit + 1} bytes; at most {limit} are accepted."
    assert not UserRow.objects.filter(email="big@example.com").exists()
    # A body of exactly the limit gets past the size check (and on to validation: the name is too long).
    assert assert_problem(at_the_limit, 400, "validation-error", with_errors=True)["errors"] == {
        "display_name": ["Ensure this field has no more than 100 characters."]
    }


def test_a_body_that_is_not_json_is_415(api):
    response = api.post(REGISTER, data="email=ada@example.com", content_type="text/plain")

    body = assert_problem(response, 415, "unsupported-media-type")
    assert body["detail"] == 'Unsupported media type "text/plain" in request.'
    assert not UserRow.objects.filter(email="ada@example.com").exists()


# --- 500 ------------------------------------------------------------------------------------------------------


def test_an_unexpected_error_in_a_view_is_a_bare_500(quiet_client, api, signed_in):
    with mock.patch("apps.users.api.v1.query_bus", side_effect=RuntimeError("secret detail")):
        response = quiet_client.get(ME, **signed_in)

    body = assert_problem(response, 500, None)
    assert body["detail"] == "The server failed to handle this request."
    assert_nothing_leaks(response)


def test_an_unexpected_error_in_a_plain_django_view_under_api_is_a_bare_500(quiet_client):
    with override_settings(ROOT_URLCONF="tests.e2e.failing_urls"):
        response = quiet_client.get("/api/explode")

    assert assert_problem(response, 500, None)["detail"] == "The server failed to handle this request."
    assert_nothing_leaks(response)


def test_an_unexpected_error_in_a_middleware_is_a_bare_500(quiet_client):
    with mock.patch(
        "apps.platform.middleware.ProblemDetailsMiddleware._too_large", side_effect=RuntimeError("secret detail")
    ):
        response = quiet_client.post(REGISTER, registration("mid@example.com"), format="json")

    assert assert_problem(response, 500, None)["detail"] == "The server failed to handle this request."
    assert_nothing_leaks(response)
    assert not UserRow.objects.filter(email="mid@example.com").exists()


# --- X-Request-ID ---------------------------------------------------------------------------------------------


def test_a_valid_request_id_is_echoed_and_names_the_problem(api):
    request_id = "client-42.retry_1"

    response = api.get("/api/nothing-here", HTTP_X_REQUEST_ID=request_id)

    assert response["X-Request-ID"] == request_id
    assert assert_problem(response, 404, "not-found")["correlation_id"] == request_id


@pytest.mark.parametrize("request_id", ["x" * 129, "y" * 200, "has spaces", "semi;colon", "ünïcode"])
def test_an_unacceptable_request_id_is_replaced_by_a_fresh_one(api, request_id):
    first = api.get("/api/nothing-here", HTTP_X_REQUEST_ID=request_id)
    second = api.get("/api/nothing-here", HTTP_X_REQUEST_ID=request_id)

    assert first["X-Request-ID"] != request_id
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert len(first["X-Request-ID"]) == 32
    assert int(first["X-Request-ID"], 16) >= 0
    assert assert_problem(first, 404, "not-found")["correlation_id"] == first["X-Request-ID"]


def test_the_longest_acceptable_request_id_is_kept(api):
    request_id = "a" * 128

    assert api.get("/health/live", HTTP_X_REQUEST_ID=request_id)["X-Request-ID"] == request_id


def test_a_request_without_an_id_gets_one(api):
    response = api.get("/health/live")

    assert len(response["X-Request-ID"]) == 32


# --- odd bodies -----------------------------------------------------------------------------------------------

FIELDS = ("email", "password", "display_name", "refresh", "reason")
ODD_BODIES = {
    "nulls": dict.fromkeys(FIELDS),
    "wrong types": {"email": ["a"], "password": {"b": 1}, "display_name": [], "refresh": ["c"], "reason": {}},
    "NUL characters": dict.fromkeys(FIELDS, "nul\x00character"),
    "a JSON string": "just a string",
    "a JSON number": 42,
    "a JSON array": [],
    "an empty body": None,
}


@pytest.mark.parametrize("body", ODD_BODIES.values(), ids=ODD_BODIES.keys())
def test_odd_bodies_are_400_on_every_endpoint_never_a_500(api, body):
    target = register(api, "target@example.com")
    staff = register(api, "boss@example.com")
    make_staff(staff["id"])
    signed_in = bearer(tokens(api, "boss@example.com"))
    endpoints = [
        ("post", REGISTER),
        ("post", "/api/v1/auth/token"),
        ("post", "/api/v1/auth/token/refresh"),
        ("post", "/api/v1/auth/logout"),
        ("patch", ME),
        ("post", f"/api/v1/users/{target['id']}/deactivate"),
    ]

    for method, path in endpoints:
        response = getattr(api, method)(path, body, format="json", **signed_in)
        assert response.status_code == 400, f"{method.upper()} {path}: {response.content!r}"
        assert response["Content-Type"] == "application/problem+json"
    assert UserRow.objects.get(pk=target["id"]).is_active is True
    assert UserRow.objects.get(pk=staff["id"]).display_name == "Someone"
