"""The OpenAPI contract: the committed schemas (one per API version) are what the code generates, with errors."""

import difflib
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
#: version -> (committed file, URL conf that lists that version's endpoints)
VERSIONS = {
    "v1": (ROOT / "docs" / "api" / "openapi.yaml", "config.urls_v1"),
    "v2": (ROOT / "docs" / "api" / "openapi-v2.yaml", "config.urls_v2"),
}
REFRESH_COMMAND = "make schema"
PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
METHODS = ("get", "put", "patch", "post", "delete")
# Errors every operation can meet whatever it does: wrong Accept, oversized or non-JSON body, a rate limit, a bug.
COMMON_ERRORS = {"406", "413", "415", "429", "500"}
# The payment provider's webhook is not rate limited: the provider retries, and a signature check is cheap.
NOT_RATE_LIMITED = {"/api/v1/webhooks/payments"}

ORDERS_AND_INVOICES = {
    ("/api/{version}/orders", "get"),
    ("/api/{version}/orders", "post"),
    ("/api/{version}/orders/{order_id}", "get"),
    ("/api/{version}/orders/{order_id}/cancel", "post"),
    ("/api/{version}/orders/{order_id}/ship", "post"),
    ("/api/{version}/invoices", "get"),
    ("/api/{version}/invoices/{invoice_id}", "get"),
    ("/api/{version}/invoices/{invoice_id}/refund", "post"),
}

WEBHOOKS = {
    ("/api/v2/webhooks/endpoints", "get"),
    ("/api/v2/webhooks/endpoints", "post"),
    ("/api/v2/webhooks/endpoints/{endpoint_id}", "get"),
    ("/api/v2/webhooks/endpoints/{endpoint_id}", "patch"),
    ("/api/v2/webhooks/endpoints/{endpoint_id}/rotate-secret", "post"),
    ("/api/v2/webhooks/endpoints/{endpoint_id}/disable", "post"),
    ("/api/v2/webhooks/endpoints/{endpoint_id}/enable", "post"),
    ("/api/v2/webhooks/endpoints/{endpoint_id}/redeliver", "post"),
    ("/api/v2/webhooks/deliveries", "get"),
    ("/api/v2/webhooks/deliveries/{delivery_id}", "get"),
    ("/api/v2/webhooks/deliveries/{delivery_id}/redeliver", "post"),
}


def in_version(version, operations_):
    return {(path.replace("{version}", version), method) for path, method in operations_}


def generate(version: str) -> str:
    """The schema as `manage.py spectacular --validate --fail-on-warn` writes it (fails on any warning)."""
    out = io.StringIO()
    options = ["--api-version", version, "--urlconf", VERSIONS[version][1], "--validate", "--fail-on-warn"]
    call_command("spectacular", *options, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module", params=sorted(VERSIONS))
def version(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def generated(version) -> str:
    return generate(version)


@pytest.fixture(scope="module")
def schema(generated) -> dict:
    return yaml.safe_load(generated)


@pytest.fixture(scope="module")
def v1() -> dict:
    return yaml.safe_load(generate("v1"))


@pytest.fixture(scope="module")
def v2() -> dict:
    return yaml.safe_load(generate("v2"))


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_committed_schema_is_up_to_date(version, generated):
    path = VERSIONS[version][0]
    name = path.relative_to(ROOT)
    committed = path.read_text() if path.exists() else ""
    if committed != generated:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                f"{name} (committed)",
                "generated from the code",
            )
        )
        pytest.fail(f"{name} is out of date; refresh it with:\n    {REFRESH_COMMAND}\n\n{diff[:4000]}")


def test_the_v1_schema_documents_every_v1_endpoint(v1):
    documented = {(path, method) for path, method, _ in operations(v1)}

    assert documented == {
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/token/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me", "patch"),
        ("/api/v1/users/{user_id}/deactivate", "post"),
        ("/api/v1/webhooks/payments", "post"),
        ("/api/v1/audit-log", "get"),
        *in_version("v1", ORDERS_AND_INVOICES),
    }


def test_the_v2_schema_documents_orders_invoices_and_webhooks_only(v2):
    documented = {(path, method) for path, method, _ in operations(v2)}

    assert documented == in_version("v2", ORDERS_AND_INVOICES) | WEBHOOKS


def test_the_webhooks_operations_are_named_and_tagged_as_webhooks(v2):
    webhooks = [operation for path, method, operation in operations(v2) if (path, method) in WEBHOOKS]

    assert len(webhooks) == len(WEBHOOKS)
    for operation in webhooks:
        assert operation["operationId"].startswith("webhooks_v2_"), operation["operationId"]
        assert operation["tags"] == ["webhooks"]
        assert "403" in operation["responses"]  # the integrator role, or none of it


def test_v1_orders_and_invoices_are_marked_deprecated_and_v2_are_not(v1, v2):
    deprecated_v1 = {(path, method) for path, method, op in operations(v1) if op.get("deprecated")}
    deprecated_v2 = {(path, method) for path, method, op in operations(v2) if op.get("deprecated")}

    assert deprecated_v1 == in_version("v1", ORDERS_AND_INVOICES)
    assert deprecated_v2 == set()


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
        expected = COMMON_ERRORS - {"429"} if path in NOT_RATE_LIMITED else set(COMMON_ERRORS)
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if "requestBody" in operation or query:
            expected.add("400")
        secured = {"jwtAuth": []} in operation.get("security", [])
        if secured or (path.startswith("/api/v1/auth/") and path != "/api/v1/auth/register"):
            expected.add("401")
        if path.endswith(("/deactivate", "/ship", "/refund", "/audit-log")):
            expected.add("403")  # staff or auditors only
        if "{" in path.replace("{version}", ""):
            expected.add("404")  # an id that does not exist, or is another customer's
        if path.endswith(("/deactivate", "/cancel", "/ship", "/refund")):
            expected.add("409")  # not in a state that allows it
        if path == "/api/v1/auth/register":
            expected.add("409")
        if method == "post" and path.endswith("/orders"):
            expected.add("422")  # Idempotency-Key reused with another body
        assert expected <= statuses, f"{where} does not document {sorted(expected - statuses)}"
        successes = {status for status in statuses if int(status) < 300}
        assert len(successes) == 1, f"{where} documents {sorted(successes)} as success"
        conditional = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"} >= {"If-None-Match"}
        assert ("304" in statuses) == conditional, f"{where}: a 304 goes with If-None-Match, and only with it"


def test_the_problem_schema_has_the_rfc_9457_members(schema):
    problem = schema["components"]["schemas"]["Problem"]

    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}
    assert problem["properties"]["errors"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_secured_operations_name_the_bearer_scheme(v1, v2):
    def secured(schema):
        return {(path, method) for path, method, op in operations(schema) if {"jwtAuth": []} in op.get("security", [])}

    for schema in (v1, v2):
        assert schema["components"]["securitySchemes"]["jwtAuth"] == {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }
    assert secured(v1) == {
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me", "patch"),
        ("/api/v1/users/{user_id}/deactivate", "post"),
        ("/api/v1/audit-log", "get"),
        *in_version("v1", ORDERS_AND_INVOICES),
    }
    assert secured(v2) == in_version("v2", ORDERS_AND_INVOICES) | WEBHOOKS


def test_request_bodies_mark_their_required_fields(v1, v2):
    def required(path, method):
        schema = v2 if path.startswith("/api/v2/") else v1
        components = schema["components"]["schemas"]
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
    for version in VERSIONS:
        assert required(f"/api/{version}/orders", "post") == {"currency", "items"}
    assert required("/api/v2/webhooks/endpoints", "post") == {"url", "event_types"}
    assert required("/api/v2/webhooks/endpoints/{endpoint_id}/disable", "post") == {"reason"}
    assert required("/api/v2/webhooks/endpoints/{endpoint_id}/redeliver", "post") == {"since"}


def test_the_schemas_and_swagger_ui_are_served(client, v1, v2):
    served_v1 = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    served_v2 = client.get("/api/schema/v2/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")

    assert (served_v1.status_code, served_v2.status_code) == (200, 200)
    assert served_v1.json()["paths"].keys() == v1["paths"].keys()
    assert served_v2.json()["paths"].keys() == v2["paths"].keys()
    assert docs.status_code == 200
    assert docs["Content-Type"].startswith("text/html")
    assert b"/api/schema/v2/" in docs.content


#: The reads answered with an ETag (and 304 on If-None-Match), by the path as each schema spells it.
CONDITIONAL_READS = {
    "/api/{version}/orders",
    "/api/{version}/orders/{order_id}",
    "/api/{version}/invoices",
    "/api/{version}/invoices/{invoice_id}",
    "/api/v1/users/me",
}


def test_the_reads_of_orders_invoices_and_the_caller_are_conditional(schema, version):
    documented = {path for path, method, operation in operations(schema) if "304" in operation["responses"]}
    expected = {path.replace("{version}", version) for path in CONDITIONAL_READS}
    expected &= set(schema["paths"])
    assert documented == expected
    assert len(expected) == (5 if version == "v1" else 4)
