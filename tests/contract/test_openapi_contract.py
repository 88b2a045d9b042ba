"""The OpenAPI contract: the committed docs/api/openapi.yaml is what the code generates, and it documents errors."""

import difflib
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "api" / "openapi.yaml"
REFRESH_COMMAND = (
    "make schema  (or: DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python manage.py spectacular "
    "--file docs/api/openapi.yaml --validate --fail-on-warn)"
)
PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
METHODS = ("get", "put", "patch", "post", "delete")
# Errors every operation can meet whatever it does: wrong Accept, oversized or non-JSON body, a rate limit, a bug.
COMMON_ERRORS = {"406", "413", "415", "429", "500"}


@pytest.fixture(scope="module")
def generated() -> str:
    """The schema as `manage.py spectacular --validate --fail-on-warn` writes it (fails on any warning)."""
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def schema(generated) -> dict:
    return yaml.safe_load(generated)


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_committed_schema_is_up_to_date(generated):
    committed = COMMITTED.read_text() if COMMITTED.exists() else ""
    if committed != generated:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                "docs/api/openapi.yaml (committed)",
                "generated from the code",
            )
        )
        pytest.fail(f"docs/api/openapi.yaml is out of date; refresh it with:\n    {REFRESH_COMMAND}\n\n{diff[:4000]}")


def test_the_schema_documents_every_v1_endpoint(schema):
    documented = {(path, method) for path, method, _ in operations(schema)}

    assert documented == {
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/token/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me", "patch"),
        ("/api/v1/users/{user_id}/deactivate", "post"),
    }


def test_every_error_response_is_documented_as_problem_details(schema):
    for path, method, operation in operations(schema):
        errors = {status: response for status, response in operation["responses"].items() if int(status) >= 400}
        for status, response in errors.items():
            where = f"{method.upper()} {path} {status}"
            assert set(response.get("content", {})) == {PROBLEM}, f"{where} is not documented as {PROBLEM}"
            assert response["content"][PROBLEM]["schema"] == {"$ref": PROBLEM_REF}, where


def test_every_operation_documents_the_errors_it_can_return(schema):
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        statuses = set(operation["responses"])
        expected = set(COMMON_ERRORS)
        if "requestBody" in operation:
            expected.add("400")
        secured = {"jwtAuth": []} in operation.get("security", [])
        if secured or (path.startswith("/api/v1/auth/") and path != "/api/v1/auth/register"):
            expected.add("401")
        if path.endswith("/deactivate"):
            expected |= {"403", "404", "409"}
        if path == "/api/v1/auth/register":
            expected.add("409")
        assert expected <= statuses, f"{where} does not document {sorted(expected - statuses)}"
        successes = {status for status in statuses if int(status) < 400}
        assert len(successes) == 1, f"{where} documents {sorted(successes)} as success"


def test_the_problem_schema_has_the_rfc_9457_members(schema):
    problem = schema["components"]["schemas"]["Problem"]

    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}
    assert problem["properties"]["errors"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_secured_operations_name_the_bearer_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["jwtAuth"]
    secured = {(path, method) for path, method, op in operations(schema) if {"jwtAuth": []} in op.get("security", [])}

    assert scheme == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert secured == {
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me", "patch"),
        ("/api/v1/users/{user_id}/deactivate", "post"),
    }


def test_request_bodies_mark_their_required_fields(schema):
    components = schema["components"]["schemas"]

    def required(path, method):
        body = schema["paths"][path][method]["requestBody"]
        assert body["required"] is True
        ref = body["content"]["application/json"]["schema"]["$ref"]
        return set(components[ref.rsplit("/", 1)[1]]["required"])

    assert required("/api/v1/auth/register", "post") == {"email", "password", "display_name"}
    assert required("/api/v1/auth/token", "post") == {"email", "password"}
    assert required("/api/v1/auth/token/refresh", "post") == {"refresh"}
    assert required("/api/v1/auth/logout", "post") == {"refresh"}
    assert required("/api/v1/users/me", "patch") == {"display_name"}
    assert required("/api/v1/users/{user_id}/deactivate", "post") == {"reason"}


def test_the_schema_and_swagger_ui_are_served(client, schema):
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")

    assert served.status_code == 200
    assert served.json()["paths"].keys() == schema["paths"].keys()
    assert docs.status_code == 200
    assert docs["Content-Type"].startswith("text/html")
    assert b"/api/schema/" in docs.content
