"""The hardened profile over HTTP: security headers and CSP (admin and API docs still load), CSRF on the admin,
the CORS allow-list, the admin's sign-in rate limit, password rules, and OWASP API4 (unrestricted resource
consumption): page-size cap, body-size limit, per-user write limits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, override_settings
from rest_framework.test import APIClient

from apps.orders.models import Order as OrderRow
from apps.outbox.models import OutboxEntry
from apps.platform.pagination import OpaqueCursorPagination, PagePagination
from apps.users.models import User as UserRow
from config.urls import SWAGGER_UI_LOGO_STYLE
from tests.support.effects import assert_audit_chain_intact, audit_outcomes
from tests.support.events import deliver_events
from tests.support.http import assert_problem, bearer, register, tokens

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ORDER = {"currency": "EUR", "items": [{"sku": "book-123", "quantity": 1, "unit_price": "5.00"}]}
ASSET = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"')
INLINE = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def csp_of(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.fixture
def customer(api):
    user = register(api, "ann@example.com")
    return {**user, "auth": bearer(tokens(api, "ann@example.com"))}


# --- headers and Content-Security-Policy ------------------------------------------------------------------------


def test_api_answers_carry_nosniff_referrer_policy_frame_denial_and_a_csp_that_loads_nothing(api, customer):
    response = api.get("/api/v1/users/me", **customer["auth"])

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]


@override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_https_answers_carry_hsts():
    response = APIClient().get("/health/live", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_admin_login_page_loads_only_its_own_assets_under_a_strict_csp(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    csp = csp_of(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    html = response.content.decode()
    assets = ASSET.findall(html)
    assert assets
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), url
    assert not [tag for tag in INLINE.findall(html) if "src=" not in tag[1]]


def test_the_api_docs_load_swagger_ui_from_the_service_with_nonced_inline_code(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    csp = csp_of(response)
    [nonce] = {value for value in csp["script-src"] if value.startswith("'nonce-")}
    assert csp["script-src"] == ["'self'", nonce]
    # and the one stylesheet of Swagger UI's logo, by its hash (config/urls.py), on this page only
    assert csp["style-src"] == ["'self'", nonce, SWAGGER_UI_LOGO_STYLE]
    assert csp["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    html = response.content.decode()
    assets = ASSET.findall(html)
    assert {url.rsplit("/", 1)[-1] for url in assets} >= {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
    }
    for url in assets:
        assert url.startswith("/static/drf_spectacular_sidecar/"), url
        assert finders.find(url.removeprefix("/static/")), url
    inline = [attributes for _, attributes in INLINE.findall(html) if "src=" not in attributes]
    assert len(inline) == 2
    assert all(f'nonce="{nonce[7:-1]}"' in attributes for attributes in inline)
    # Swagger UI fetches the schemas from the service itself (connect-src 'self').
    assert client.get("/api/schema/").status_code == 200


def test_each_page_gets_its_own_nonce(client):
    first, second = (csp_of(client.get("/api/docs/"))["script-src"][1] for _ in range(2))

    assert first != second


# --- CSRF and the admin's sign-in ----------------------------------------------------------------------------------


def test_the_admin_sign_in_form_needs_the_csrf_token():
    browser = Client(enforce_csrf_checks=True)
    without = browser.post("/admin/login/", {"username": "a@example.com", "password": "x"})
    page = browser.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    with_token = browser.post(
        "/admin/login/", {"username": "a@example.com", "password": "x", "csrfmiddlewaretoken": token}
    )

    assert without.status_code == 403
    assert with_token.status_code == 200  # the form again, with "Please enter the correct email and password"
    assert page.cookies["csrftoken"]["httponly"]


@override_settings(RATE_LIMIT_ADMIN_LOGIN="5/m")
def test_the_sixth_admin_sign_in_attempt_from_one_ip_within_a_minute_is_429(client, rate_limit_window):
    attempts = [
        client.post("/admin/login/", {"username": "root@example.com", "password": f"guess {n}"}) for n in range(6)
    ]

    assert [response.status_code for response in attempts[:5]] == [200] * 5
    limited = attempts[5]
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert limited.json()["type"] == "urn:orderflow:problem:rate-limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert client.get("/admin/login/").status_code == 200  # reading the form is not counted
    assert client.post("/admin/login/", {"username": "x", "password": "y"}, REMOTE_ADDR="192.0.2.9").status_code == 200


# --- CORS ---------------------------------------------------------------------------------------------------------


def preflight(api, origin: str):
    return api.options(
        "/api/v1/orders",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


def test_no_origin_is_allowed_by_default(api):
    assert "Access-Control-Allow-Origin" not in preflight(api, "https://shop.example.com")


@override_settings(CORS_ALLOWED_ORIGINS=["https://shop.example.com"])
def test_only_listed_origins_may_call_the_api_from_a_browser(api, customer):
    allowed = preflight(api, "https://shop.example.com")
    other = preflight(api, "https://evil.example.net")
    read = api.get("/api/v1/users/me", HTTP_ORIGIN="https://shop.example.com", **customer["auth"])

    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in other
    assert "Access-Control-Allow-Credentials" not in allowed
    assert read["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Retry-After" in read["Access-Control-Expose-Headers"]


@override_settings(CORS_ALLOWED_ORIGINS=["https://shop.example.com"], DATA_UPLOAD_MAX_MEMORY_SIZE=10)
def test_a_listed_browser_can_read_the_problems_middleware_answers_too(api, customer):
    too_large = api.post(
        "/api/v2/orders", ORDER, format="json", HTTP_ORIGIN="https://shop.example.com", **customer["auth"]
    )

    assert too_large.status_code == 413
    assert too_large["Access-Control-Allow-Origin"] == "https://shop.example.com"


# --- passwords ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["short1", "1234567890123", "password1234", "ann@example.com1"])
def test_weak_passwords_are_refused_at_sign_up(api, password):
    body = {"email": "ann@example.com", "password": password, "display_name": "Ann"}

    response = api.post("/api/v1/auth/register", body, format="json")

    problem = assert_problem(response, 400, "validation-error", with_errors=True)
    assert problem["detail"] == "The registration is not valid."
    assert set(problem["errors"]) == {"password"}
    assert problem["errors"]["password"]
    assert not UserRow.objects.filter(email="ann@example.com").exists()
    assert not OutboxEntry.objects.filter(event_type="users.user_registered").exists()
    assert audit_outcomes("RegisterUser") == ["refused: ValidationError"]
    assert_audit_chain_intact()


# --- API4: unrestricted resource consumption ----------------------------------------------------------------------


def test_the_page_size_is_capped_at_100(api, customer, monkeypatch):
    for _ in range(3):
        assert api.post("/api/v2/orders", ORDER, format="json", **customer["auth"]).status_code == 201
    deliver_events()
    assert PagePagination.max_page_size == OpaqueCursorPagination.max_page_size == 100
    monkeypatch.setattr(PagePagination, "max_page_size", 2)
    monkeypatch.setattr(OpaqueCursorPagination, "max_page_size", 2)

    v1 = api.get("/api/v1/orders", {"page_size": 10_000}, **customer["auth"])
    v2 = api.get("/api/v2/orders", {"page_size": 10_000}, **customer["auth"])

    assert len(v1.json()["results"]) == len(v2.json()["results"]) == 2


def test_an_oversized_order_is_413_and_nothing_is_stored(api, customer):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        response = api.post("/api/v2/orders", {**ORDER, "note": "x" * 200}, format="json", **customer["auth"])

    assert_problem(response, 413, "payload-too-large")
    assert not OrderRow.objects.exists()
    assert not OutboxEntry.objects.filter(event_type="orders.order_placed").exists()
    assert audit_outcomes("PlaceOrder") == []  # refused before any command was sent


@override_settings(RATE_LIMIT_WRITES="3/m")
def test_writes_are_limited_per_user_across_endpoints_and_reads_are_not(api, customer, rate_limit_window):
    other = register(api, "bob@example.com")
    other_auth = bearer(tokens(api, "bob@example.com"))

    placed = [api.post("/api/v2/orders", ORDER, format="json", **customer["auth"]) for _ in range(2)]
    cancel = api.post(f"/api/v1/orders/{placed[0].json()['id']}/cancel", {}, format="json", **customer["auth"])
    fourth = api.post("/api/v1/orders", ORDER, format="json", **customer["auth"])
    profile = api.patch("/api/v1/users/me", {"display_name": "A"}, format="json", **customer["auth"])
    read = api.get("/api/v2/orders", **customer["auth"])
    someone_else = api.post("/api/v2/orders", ORDER, format="json", **other_auth)

    assert [response.status_code for response in placed] == [201, 201]
    assert cancel.status_code == 200
    for limited in (fourth, profile):
        body = assert_problem(limited, 429, "rate-limited")
        assert body["detail"] == "Too many requests; slow down and try again later."
        assert 1 <= int(limited["Retry-After"]) <= 60
    assert read.status_code == 200
    assert someone_else.status_code == 201
    assert OrderRow.objects.filter(customer_id=customer["id"]).count() == 2
    assert UserRow.objects.get(pk=customer["id"]).display_name != "A"
    assert not OutboxEntry.objects.filter(aggregate_id=customer["id"], event_type="users.user_profile_updated").exists()
    assert (
        OutboxEntry.objects.filter(event_type="orders.order_placed", payload__customer_id=customer["id"]).count() == 2
    )
    assert other["id"]


# --- the production profile ---------------------------------------------------------------------------------------


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    inherited = ("DJANGO_", "DEBUG", "SECRET_KEY", "JWT_", "ALLOWED_HOSTS", "SECURE_", "DATABASE_", "REDIS_URL")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    production = {
        "DOTENV_FILE": "",
        "DEBUG": "false",
        "SECRET_KEY": "p" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "orderflow.example.com",
        "JWT_ALGORITHM": "HS256",
        "JWT_SECRET": "s" * 48,
        "PAYMENT_PROVIDER": "stripe",
        "PAYMENT_PROVIDER_API_KEY": "sk_test_deploy_check",
        "PAYMENT_WEBHOOK_SECRETS": "whsec_deploy_check",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **production, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_production_profile_passes_the_deployment_checklist_without_a_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    # The embedded cache counts rate limits per process: only django-ratelimit's two checks are silenced.
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_with_redis_no_check_is_silenced():
    result = manage("check", "--deploy", "--fail-level", "WARNING", REDIS_URL="redis://127.0.0.1:6379/10")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
